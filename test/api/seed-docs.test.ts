/**
 * The seed docs' snippets, translated call for call: bodies double-encoded as
 * `json=json.dumps({...})` sends them, ids as numbers, paths with their trailing
 * slash, against the dev seed data (environment 123, user 123's wallet 123 at 1000.00).
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import { DEV_ENV_SECRET } from '../../scripts/dev-seed';
import { expectLedgerExact, seedBody, startTestContext, type TestContext } from '../helpers/stack';
import { pythonWithRequests } from '../helpers/python';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await startTestContext();
});
afterAll(async () => ctx.close());

const headers = { 'X-Wallet-Signature': DEV_ENV_SECRET, 'Content-Type': 'application/json' };

function getWallets() {
  return request(ctx.app).get('/wallet/').set(headers).query({ env_id: 123, user_id: 123 });
}

test('create wallet: 200, and creating again returns the same wallet', async () => {
  const first = await request(ctx.app).post('/wallet/').set(headers).send(seedBody({ env_id: 123, user_id: 123 }));
  expect(first.status).toBe(200);
  expect(first.body).toMatchObject({ id: '123', user_id: '123', env_id: '123', currency: 'USD', status: 'active' });
  const again = await request(ctx.app).post('/wallet/').set(headers).send(seedBody({ env_id: 123, user_id: 123 }));
  expect(again.body.id).toBe('123');
  const { rows } = await ctx.pool.query(`select count(*)::int as n from wallets where env_id = 123 and user_id = '123'`);
  expect(rows[0].n).toBe(1);
});

test('get wallet by user id: the shape the docs show, balance as an exact JSON number', async () => {
  const res = await getWallets();
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    wallets: [
      expect.objectContaining({ id: '123', user_id: '123', env_id: '123', balance: 1000, currency: 'USD', status: 'active' }),
    ],
  });
  expect(res.text).toContain('"balance":1000.00');
});

test('patch status: the docs body (amount, no status) is refused naming the statuses; a status is applied', async () => {
  const slip = await request(ctx.app)
    .patch(`/wallet/${123}/status/`)
    .set(headers)
    .send(seedBody({ env_id: '123', user_id: '123', amount: 12.12 }));
  expect(slip.status).toBe(422);
  expect(slip.body.error.code).toBe('invalid_request');
  expect(slip.body.error.message).toMatch(/status.*active.*suspended.*closed/);

  const ok = await request(ctx.app)
    .patch(`/wallet/${123}/status/`)
    .set(headers)
    .send(seedBody({ env_id: '123', user_id: '123', status: 'active' }));
  expect(ok.status).toBe(200);
  expect(ok.body).toEqual({ id: '123', balance: 1000, held: 0, currency: 'USD', status: 'active' });
});

test('topup: 100 on 1000.00 gives 1100.00', async () => {
  const wallets = await getWallets();
  const res = await request(ctx.app)
    .post('/wallet/topup/')
    .set(headers)
    .send(seedBody({ env_id: 123, user_id: wallets.body.wallets[0].user_id, wallet_id: 123, amount: 100 }));
  expect(res.status).toBe(200);
  expect(res.body.transaction_id).toMatch(/^[0-9]+$/);
  expect(res.body.wallet.balance).toBe(1100);
  const after = await getWallets();
  expect(after.body.wallets[0].balance).toBe(1100.0);
  expect(after.text).toContain('"balance":1100.00');
});

test('payment: 100 for product asd123 takes 1100.00 to 1000.00, and the order is listed', async () => {
  const wallets = await getWallets();
  const wallet = wallets.body.wallets[0];
  const res = await request(ctx.app)
    .post('/wallet/payment/')
    .set(headers)
    .send(seedBody({ env_id: 123, user_id: wallet.user_id, wallet_id: wallet.id, amount: 100, product_id: 'asd123' }));
  expect(res.status).toBe(200);
  expect(res.body.order).toMatchObject({ product_id: 'asd123', amount: 100, currency: 'USD', status: 'completed' });
  const after = await getWallets();
  expect(after.body.wallets[0].balance).toBe(1000.0);

  const orders = await request(ctx.app).get(`/wallet/${after.body.wallets[0].env_id}/orders/${after.body.wallets[0].user_id}`).set(headers);
  expect(orders.status).toBe(200);
  expect(orders.body.orders[0]).toMatchObject({ id: res.body.order.id, wallet_id: '123', product_id: 'asd123', status: 'completed' });
  await expectLedgerExact(ctx.pool);
});

test('withdraw: 123.12 answers 200 with a Stripe URL, and the amount is held', async () => {
  const res = await request(ctx.app)
    .post('/wallet/withdraw/')
    .set(headers)
    .send(seedBody({ env_id: 123, user_id: 123, wallet_id: 123, amount: 123.12 }));
  expect(res.status).toBe(200);
  expect(res.body.url).toMatch(/^https:\/\//);
  expect(res.body).toMatchObject({ withdrawal_id: expect.stringMatching(/^[0-9]+$/), status: 'awaiting_onboarding' });
  const after = await getWallets();
  expect(after.body.wallets[0]).toMatchObject({ balance: 876.88, held: 123.12 });
  await expectLedgerExact(ctx.pool);
});

// The docs' Python snippets themselves (test/seed/seed_docs.py), run with Python's
// requests against this app listening on a free port.
test('the docs’ Python snippets run as written against the live API', async () => {
  // Fails (never skips) when no Python with requests is here: npm test installs it.
  const python = pythonWithRequests();
  const server = ctx.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  try {
    const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(python, [join(__dirname, '..', 'seed', 'seed_docs.py')], {
        env: { ...process.env, PAYNOCCHIO_URL: `http://127.0.0.1:${port}` },
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('exit', (code) => resolve({ code, out }));
    });
    expect(run.out).toMatch(/seed docs: \d+ checks passed/);
    expect(run.code).toBe(0);
  } finally {
    server.close();
  }
  await expectLedgerExact(ctx.pool);
});

test('without a Python that imports requests, the snippet tests fail with the reason (they never skip)', () => {
  expect(() => pythonWithRequests(['/nonexistent/python3', 'false'])).toThrow(/no Python with requests \(tried \/nonexistent\/python3, false\): run `bash scripts\/ensure-python-requests.sh`/);
  expect(pythonWithRequests()).toBeTruthy();
});
