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
  const env = JSON.parse((await admin('environments', 'create', '--name', 'export')).out[0]!);
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
