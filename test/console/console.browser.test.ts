/// <reference lib="dom" />
/**
 * The operator console in a real headless Chromium (Debian's `chromium`, driven by
 * puppeteer-core; scripts/ensure-chromium.sh installs it for `npm test`). Real data:
 * a topup and a payment through the API and the stack's worker, then the page must
 * show them, link them to the Temporal Web UI, draw the chart, and screenshot as a
 * real rendered page. It opens on what needs an operator (old holds, withdrawals needing
 * attention, failing webhook endpoints) before the wallets, and the chart's axis label
 * of a large day shows whole, with thousands separators, inside the SVG. The API docs
 * page is rendered too (offline Swagger UI).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { createWallet } from '../../src/db/queries/wallets';
import { pollUntil } from '../helpers/poll';
import { newEnvironment, seedBody, startTestContext, type TestContext } from '../helpers/stack';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TOKEN = 'operator-token-for-tests-0123456789';
const UI = 'http://temporal-ui.test:8233';

let ctx: TestContext;
let server: Server;
let base: string;
let browser: Browser;
let userDataDir: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    // Same script npm test runs; it installs chromium when it can, else explains why not.
    const run = spawnSync('bash', [join(__dirname, '../../scripts/ensure-chromium.sh')], { encoding: 'utf8' });
    if (run.status !== 0 || !existsSync(CHROMIUM)) throw new Error(`no browser for the console test: ${run.stderr.trim()}`);
  }
  ctx = await startTestContext();
  const app = createApp({
    pool: ctx.pool,
    temporal: { client: ctx.client, taskQueue: ctx.stack.taskQueue, searchAttributes: true, syncTimeoutMs: 30_000 },
    ops: { operatorToken: TOKEN, temporalUiUrl: UI, namespace: 'default' },
    // The failing endpoint below is on 127.0.0.1 (the suite's worker allows private networks too).
    webhooks: { allowPrivateNetworks: true },
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  userDataDir = mkdtempSync(join(tmpdir(), 'paynocchio-chromium-'));
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    userDataDir,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await new Promise((r) => server?.close(r));
  await ctx?.close();
});

test('the console shows real wallets, ledger transactions, orders and the chart, with Web UI links; screenshot taken', async () => {
  const { envId, secret } = await newEnvironment(ctx.pool, 'console-test', [{ currency: 'USD', amount: 1_000_00n }]);
  const { wallet } = await createWallet(ctx.pool, envId, 'console-user', 'USD');
  const headers = { 'X-Wallet-Signature': secret };
  const topup = await request(server).post('/wallet/topup').set(headers).send({ env_id: envId, user_id: 'console-user', wallet_id: wallet.id, amount: '250.00' });
  expect(topup.status).toBe(200);
  const pay = await request(server).post('/wallet/payment').set(headers).send({ env_id: envId, user_id: 'console-user', wallet_id: wallet.id, amount: '40.25', product_id: 'sku-console' });
  expect(pay.status).toBe(200);
  const paymentWorkflow = String(pay.headers['workflow-id']);

  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });

  // Without the token: the sign-in page, no data.
  const denied = await page.goto(`${base}/console?env=${envId}`);
  expect(denied?.status()).toBe(401);
  expect(await page.content()).not.toContain('console-user');

  // The token once in the URL: an HttpOnly cookie, then a clean URL.
  const ok = await page.goto(`${base}/console?env=${envId}&token=${TOKEN}`);
  expect(ok?.status()).toBe(200);
  expect(page.url()).toBe(`${base}/console?env=${envId}`);
  const cookies = await page.cookies();
  expect(cookies.find((c) => c.name === 'paynocchio_operator')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

  const walletRow = await page.$$eval('#wallets tbody tr', (rows) => rows.map((r) => Array.from(r.querySelectorAll('td')).map((td) => td.textContent?.trim())));
  expect(walletRow).toEqual([[wallet.id, envId, 'console-user', 'active', '209.75', '0.00', 'USD', expect.any(String), 'workflows']]);
  const transactionTypes = await page.$$eval('#transactions tbody tr td:nth-child(3)', (tds) => tds.map((td) => td.textContent));
  expect(transactionTypes).toEqual(['payment', 'topup', 'deposit']); // the environment's float, then the wallet's movements
  const links = await page.$$eval('a.wf', (as) => as.map((a) => (a as HTMLAnchorElement).href));
  expect(links).toContain(`${UI}/namespaces/default/workflows/${encodeURIComponent(paymentWorkflow)}`);
  const walletList = await page.$eval('#wallets a.wf-list', (a) => (a as HTMLAnchorElement).href);
  expect(decodeURIComponent(walletList)).toBe(`${UI}/namespaces/default/workflows?query=PaynocchioWalletId="${wallet.id}"`);
  expect(await page.$eval('#orders tbody tr td:nth-child(7)', (td) => td.textContent)).toBe('completed');
  expect(await page.$('#withdrawals')).not.toBeNull();
  const bars = await page.$$eval('svg.volume-chart rect.bar', (rects) => rects.map((r) => r.getAttribute('data-type')));
  expect(bars.sort()).toEqual(['payment', 'topup']);
  const barBox = await page.$eval('svg.volume-chart rect.bar[data-type="topup"]', (r) => (r as SVGRectElement).getBBox().height);
  expect(barBox).toBeGreaterThan(10);

  // The screenshot is a real rendered page: a PNG of the viewport's size with more than a blank screen's colours.
  const png = Buffer.from(await page.screenshot({ fullPage: false, type: 'png' }));
  expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
  expect(png.readUInt32BE(16)).toBe(1280);
  expect(png.readUInt32BE(20)).toBe(900);
  expect(png.length).toBeGreaterThan(20_000);
  const dir = join(__dirname, '../../.cache');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'console.png'), png);
  await page.close();
}, 60_000);

/** A port nothing listens on: connections to it are refused at once. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

test('the console opens on what needs an operator, then the wallets; a large day\'s axis label shows whole', async () => {
  const { envId, secret } = await newEnvironment(ctx.pool, 'console-needs');
  const user = 'needs-user';
  const { wallet } = await createWallet(ctx.pool, envId, user, 'USD');
  const headers = { 'X-Wallet-Signature': secret };
  // A webhook endpoint that refuses connections: its delivery is being retried.
  const hookUrl = `http://127.0.0.1:${await closedPort()}/hooks`;
  const hook = await request(server).post(`/environments/${envId}/webhooks/`).set(headers).send(seedBody({ url: hookUrl, event_types: ['topup.completed'] }));
  expect(hook.status).toBe(201);
  // Today's volume, the chart's axis maximum: this topup and the withdrawal's hold of 100.00 below make 34,012,018.50.
  const topup = await request(server).post('/wallet/topup').set(headers).send({ env_id: envId, user_id: user, wallet_id: wallet.id, amount: '34011918.50' });
  expect(topup.status).toBe(200);
  // A withdrawal still holding its amount, started (as far as the console can tell) two days ago.
  const started = await request(server).post('/wallet/withdraw/').set(headers).send(seedBody({ env_id: Number(envId), user_id: user, wallet_id: Number(wallet.id), amount: 100 }));
  expect(started.status).toBe(200);
  const withdrawalId = started.body.withdrawal_id as string;
  await ctx.pool.query(`update withdrawals set created_at = now() - interval '2 days' where id = $1`, [withdrawalId]);
  await pollUntil('a failed attempt to the refusing endpoint', async () => {
    const { rows } = await ctx.pool.query(`select 1 from webhook_deliveries where endpoint_id = $1 and attempts > 0`, [hook.body.id]);
    return rows[0];
  });

  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  expect((await page.goto(`${base}/console?env=${envId}&token=${TOKEN}`))?.status()).toBe(200);

  // What needs an operator comes first, then the wallet list.
  const headings = await page.$$eval('h2', (hs) => hs.map((h) => h.textContent));
  expect(headings.slice(0, 5)).toEqual([
    'Holds older than a day',
    'Withdrawals needing attention',
    'Failing webhook endpoints',
    'Reconciliation with Stripe: open mismatches',
    'Wallets',
  ]);
  const summary = await page.$eval('#needs-summary', (p) => p.textContent?.replace(/\s+/g, ' '));
  expect(summary).toContain('1 hold older than a day');
  expect(summary).toContain('0 withdrawals needing attention');
  expect(summary).toContain('1 failing webhook endpoint');
  const rowsOf = (id: string) => page.$$eval(`#${id} tbody tr`, (rows) => rows.map((r) => Array.from(r.querySelectorAll('td')).map((td) => td.textContent?.trim())));
  expect(await rowsOf('old-holds')).toEqual([
    [withdrawalId, envId, wallet.id, user, '100.00 USD', 'awaiting_onboarding', expect.stringMatching(/^[12] d \d+ h$/), expect.any(String), String(started.headers['workflow-id'])],
  ]);
  expect(await rowsOf('failing-webhooks')).toEqual([[hook.body.id, envId, hookUrl, '1', '0', 'no answer', expect.any(String)]]);
  expect(await page.$eval('#needs-attention', (e) => e.textContent)).toContain('none');
  // Thousands separators in the tables too.
  expect((await rowsOf('wallets'))[0]![4]).toBe('34,011,818.50');

  // The axis label: 34,012,018.50 whole, inside the SVG, left of the plot.
  const label = await page.$eval('svg.volume-chart text.axis-max', (t) => {
    const text = t as SVGTextElement;
    const svg = text.ownerSVGElement!;
    const box = text.getBBox();
    const axis = svg.querySelector('line')!;
    const onScreen = text.getBoundingClientRect();
    const svgOnScreen = svg.getBoundingClientRect();
    return {
      text: text.textContent,
      x: box.x,
      right: box.x + box.width,
      plotLeft: Number(axis.getAttribute('x1')),
      screenLeft: onScreen.left,
      svgScreenLeft: svgOnScreen.left,
    };
  });
  expect(label.text).toBe('34,012,018.50');
  expect(label.x).toBeGreaterThanOrEqual(0);
  expect(label.screenLeft).toBeGreaterThanOrEqual(label.svgScreenLeft);
  expect(label.right).toBeLessThanOrEqual(label.plotLeft);
  await page.close();

  // Leave nothing holding: the withdrawal is canceled (hold released).
  const canceled = await request(server).post(`/wallet/withdrawals/${withdrawalId}/cancel/`).set(headers).send(seedBody({ env_id: Number(envId) }));
  expect(canceled.status).toBe(200);
}, 90_000);

test('the API reference at /docs renders offline in the browser', async () => {
  const page = await browser.newPage();
  const external: string[] = [];
  page.on('request', (req) => {
    if (!req.url().startsWith(base) && !req.url().startsWith('data:')) external.push(req.url());
  });
  await page.goto(`${base}/docs`);
  await page.waitForSelector('.opblock', { timeout: 20_000 });
  const summaries = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.textContent?.replace(/\u200b/g, '')));
  expect(summaries).toEqual(expect.arrayContaining(['/wallet/topup', '/wallet/payment', '/wallet/{env_id}/orders/{user_id}']));
  expect(external).toEqual([]);
  await page.close();
}, 60_000);
