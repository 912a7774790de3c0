/**
 * The admin CLI: environments (create, list, rotate-secret: the old secret keeps
 * working through the overlap, then stops), wallet show, ledger verify (a real
 * process exits 1 on a broken ledger), and workflow export (the history replays).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { Client as PgClient } from 'pg';
import request from 'supertest';
import { runAdmin, type AdminDeps } from '../../src/admin/commands';
import { historyFromJson } from '../../src/admin/history-json';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { createWallet } from '../../src/db/queries/wallets';
import { createDatabase, LOCAL_POSTGRES, ROOT } from '../../scripts/stack';
import { startTestContext, type TestContext } from '../helpers/stack';
import { signRequest } from '../../src/api/auth';
import { DEV_SECRETS_PEPPER } from '../../src/config';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await startTestContext();
});
afterAll(async () => ctx.close());

async function admin(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const deps: AdminDeps = {
    pool: () => ctx.pool,
    temporal: async () => ctx.client,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    secretsPepper: DEV_SECRETS_PEPPER,
  };
  const code = await runAdmin(argv, deps);
  return { code, out, err };
}

test('environments create, list and rotate-secret (old secret expires after the overlap)', async () => {
  const created = await admin('environments', 'create', '--name', 'cli-made');
  expect(created.code).toBe(0);
  const env = JSON.parse(created.out[0]!);
  expect(env).toMatchObject({ name: 'cli-made', id: expect.stringMatching(/^[0-9]+$/), secret: expect.stringMatching(/^secret_/) });

  const listed = await admin('environments', 'list');
  expect(listed.out.map((l) => JSON.parse(l))).toEqual(expect.arrayContaining([expect.objectContaining({ id: env.id, name: 'cli-made', activeSecrets: 1 })]));

  const rotated = await admin('environments', 'rotate-secret', env.id, '--overlap-hours', '0');
  expect(rotated.code).toBe(0);
  const { secret: fresh } = JSON.parse(rotated.out[0]!);
  expect(fresh).not.toBe(env.secret);
  // A fresh app: the auth cache would otherwise remember the old secret for 5 s.
  const other = await startTestContext();
  try {
    const query = { env_id: env.id, user_id: 'u1' };
    expect((await request(other.app).get('/wallet').set('X-Wallet-Signature', fresh).query(query)).status).toBe(200);
    expect((await request(other.app).get('/wallet').set('X-Wallet-Signature', env.secret).query(query)).status).toBe(401);
    // Signed mode works with the new secret at once: the CLI sealed its signing key.
    const timestamp = Math.floor(Date.now() / 1000);
    const path = `/wallet?env_id=${env.id}&user_id=u1`;
    const signed = await request(other.app)
      .get(path)
      .set('X-Wallet-Env', env.id)
      .set('X-Wallet-Timestamp', String(timestamp))
      .set('X-Wallet-Signature', signRequest(fresh, timestamp, 'GET', path, ''));
    expect(signed.status).toBe(200);
  } finally {
    await other.close();
  }

  expect((await admin('environments', 'rotate-secret', '999999999')).code).toBe(1);
  expect((await admin('environments', 'create')).code).toBe(2);
  expect((await admin('nonsense')).err.join('\n')).toMatch(/unknown command[\s\S]*usage/);
});

test('environments create --funding-limit, fund and show: deposits are ledger postings that topups draw down', async () => {
  const topup = (env: { id: string; secret: string }, walletId: string, amount: string) =>
    request(ctx.app).post('/wallet/topup').set('X-Wallet-Signature', env.secret).send({ env_id: env.id, user_id: 'u', wallet_id: walletId, amount });

  // Without --funding-limit (and DEFAULT_FUNDING_LIMIT unset): no float, nothing moves.
  const bare = JSON.parse((await admin('environments', 'create', '--name', 'bare')).out[0]!);
  expect(bare.funding).toEqual({ currency: 'USD', deposited: '0.00' });
  const bareWallet = (await createWallet(ctx.pool, bare.id, 'u', 'USD')).wallet.id;
  const refused = await topup(bare, bareWallet, '1.00');
  expect(refused.status).toBe(422);
  expect(refused.body.error.code).toBe('funding_limit_exceeded');

  // fund records a deposit; the same --key twice deposits once.
  const funded = await admin('environments', 'fund', bare.id, '250.50', '--key', 'wire-1');
  expect(funded.code).toBe(0);
  expect(JSON.parse(funded.out[0]!)).toMatchObject({ env_id: bare.id, amount: '250.50', replayed: false, deposited: '250.50', used: '0.00', left: '250.50' });
  expect(JSON.parse((await admin('environments', 'fund', bare.id, '250.50', '--key', 'wire-1')).out[0]!)).toMatchObject({ replayed: true, deposited: '250.50' });
  expect((await topup(bare, bareWallet, '200.00')).status).toBe(200);
  // Without --key the generated key is said before the deposit, so an interrupted run can be
  // repeated with it without depositing twice.
  const unkeyed = await admin('environments', 'fund', bare.id, '1.00');
  const said = /deposit key (\S+):/.exec(unkeyed.err.join('\n'))?.[1];
  expect(said).toBeDefined();
  expect(JSON.parse(unkeyed.out[0]!)).toMatchObject({ key: said, replayed: false, deposited: '251.50' });
  expect(JSON.parse((await admin('environments', 'fund', bare.id, '1.00', '--key', said!)).out[0]!)).toMatchObject({ replayed: true, deposited: '251.50' });
  const { rows } = await ctx.pool.query(
    `select type, reference from ledger_transactions where env_id = $1 order by id`,
    [bare.id],
  );
  expect(rows).toEqual([
    { type: 'deposit', reference: 'deposit (admin CLI)' },
    { type: 'topup', reference: null },
    { type: 'deposit', reference: 'deposit (admin CLI)' },
  ]);

  const shown = await admin('environments', 'show', bare.id);
  expect(shown.code).toBe(0);
  expect(JSON.parse(shown.out.join('\n'))).toMatchObject({
    id: bare.id,
    name: 'bare',
    funding: [{ currency: 'USD', deposited: '251.50', used: '200.00', credit_line: '0.00', left: '51.50' }],
  });

  // --funding-limit at creation is a deposit too; with a currency.
  const acme = JSON.parse((await admin('environments', 'create', '--name', 'Acme', '--funding-limit', '5000')).out[0]!);
  const acmeShown = JSON.parse((await admin('environments', 'show', acme.id)).out.join('\n'));
  expect(acmeShown.funding).toEqual([{ currency: 'USD', deposited: '5000.00', used: '0.00', credit_line: '0.00', left: '5000.00' }]);
  const yen = JSON.parse((await admin('environments', 'create', '--name', 'yen', '--funding-limit', '700', '--currency', 'JPY')).out[0]!);
  expect(yen.funding).toEqual({ currency: 'JPY', deposited: '700' });

  // A credit line, and refusals: bad amounts, unknown environment or currency.
  expect(JSON.parse((await admin('environments', 'credit-line', bare.id, '10')).out[0]!)).toMatchObject({ credit_line: '10.00', left: '61.50' });
  expect((await admin('environments', 'fund', bare.id, '-5')).code).toBe(2);
  expect((await admin('environments', 'fund', bare.id, '1.234')).code).toBe(2);
  expect((await admin('environments', 'fund', bare.id, '5', '--currency', 'XXX')).code).toBe(2);
  expect((await admin('environments', 'fund', bare.id)).code).toBe(2);
  expect((await admin('environments', 'fund', '999999999', '5')).code).toBe(1);
  expect((await admin('environments', 'show', '999999999')).code).toBe(1);
  expect(await admin('ledger', 'verify')).toMatchObject({ code: 0 });
});

test('npm run env:create -- --name Acme --funding-limit 5000 records the float; without it DEFAULT_FUNDING_LIMIT', async () => {
  const run = (args: string[], extra: Record<string, string> = {}) => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: ctx.stack.databaseUrl, NODE_ENV: 'test', ...extra };
    if (!extra.DEFAULT_FUNDING_LIMIT) delete env.DEFAULT_FUNDING_LIMIT;
    const res = spawnSync('npm', ['run', '--silent', 'env:create', '--', ...args], { cwd: ROOT, env, encoding: 'utf8' });
    expect(res.stderr).not.toMatch(/failed/);
    expect(res.status).toBe(0);
    return JSON.parse(res.stdout) as { env_id: string; secret: string };
  };
  const deposited = async (envId: string) =>
    (await ctx.pool.query<{ deposited: string }>(`select deposited::text from environment_funding where env_id = $1 and currency = 'USD'`, [envId])).rows[0]
      ?.deposited ?? '0';

  const acme = run(['--name', 'Acme', '--funding-limit', '5000']);
  expect(acme.secret).toMatch(/^secret_/);
  expect(await deposited(acme.env_id)).toBe('500000');
  const { rows } = await ctx.pool.query(`select type, amount::text from ledger_transactions where env_id = $1`, [acme.env_id]);
  expect(rows).toEqual([{ type: 'deposit', amount: '500000' }]);

  expect(await deposited(run(['--name', 'from config'], { DEFAULT_FUNDING_LIMIT: '12.50' }).env_id)).toBe('1250');
  expect(await deposited(run(['--name', 'nothing']).env_id)).toBe('0');
}, 60_000);

test('wallet show prints the wallet with its balance text and recent postings', async () => {
  const res = await admin('wallet', 'show', '123');
  expect(res.code).toBe(0);
  const shown = JSON.parse(res.out[0]!);
  expect(shown).toMatchObject({ id: '123', envId: '123', currency: 'USD', balance_text: expect.stringMatching(/^[0-9]+\.[0-9]{2}$/) });
  expect(shown.recent_postings.length).toBeGreaterThan(0);
  expect((await admin('wallet', 'show', '1')).code).toBe(1);
});

test('ledger verify: 0 on the exact ledger; a real `npm run admin` process exits 1 on a broken one', async () => {
  expect(await admin('ledger', 'verify')).toMatchObject({ code: 0, out: ['ledger ok: every invariant holds'] });

  // A database of its own with a wallet whose balance has no postings.
  const name = `${process.env.PAYNOCCHIO_TEST_DB ?? 'paynocchio_test'}_broken`;
  const url = await createDatabase(process.env.DATABASE_URL ? new URL('/postgres', process.env.DATABASE_URL).toString() : LOCAL_POSTGRES, name, true);
  const pool = createPool(url, 1);
  try {
    await migrate(pool);
    await pool.query(`insert into environments (id, name) values (1, 'broken')`);
    await pool.query(`insert into wallets (env_id, user_id, currency, balance) values (1, 'u', 'USD', 500)`);
    const run = spawnSync('npm', ['run', '--silent', 'admin', '--', 'ledger', 'verify'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: url, NODE_ENV: 'test' },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("each wallet's balance equals the sum of its postings");
  } finally {
    await pool.end();
    const dropper = new PgClient({ connectionString: new URL('/postgres', url).toString() });
    await dropper.connect();
    await dropper.query(`drop database if exists "${name}" with (force)`).finally(() => dropper.end());
  }
}, 60_000);

test('workflow export writes a history that replays against the current workflow code', async () => {
  const env = JSON.parse((await admin('environments', 'create', '--name', 'export', '--funding-limit', '10')).out[0]!);
  const { wallet } = await createWallet(ctx.pool, env.id, 'exp', 'USD');
  const topup = await request(ctx.app)
    .post('/wallet/topup')
    .set('X-Wallet-Signature', env.secret)
    .send({ env_id: env.id, user_id: 'exp', wallet_id: wallet.id, amount: '3' });
  expect(topup.status).toBe(200);
  const dir = mkdtempSync(join(tmpdir(), 'paynocchio-export-'));
  try {
    const file = join(dir, 'topup.json');
    const res = await admin('workflow', 'export', String(topup.headers['workflow-id']), '--out', file);
    expect(res.code).toBe(0);
    const history = JSON.parse(readFileSync(file, 'utf8'));
    expect(history.events[0].eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    // Passed as a History object: the SDK's own JSON parsing trips on duplicate protobufjs copies (see history-json.ts).
    await Worker.runReplayHistory({ workflowBundle: { codePath: ctx.stack.workflowBundlePath } }, historyFromJson(history));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
