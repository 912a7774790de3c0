/**
 * Per-environment rate limits shared across API processes (two apps on one database
 * stand in for two processes), and signed-mode authentication.
 */
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { signRequest } from '../../src/api/auth';
import { hashSecret } from '../../src/db/queries/environments';
import { newEnvironment, seedBody, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await startTestContext();
});
afterAll(async () => ctx.close());

function limitedApp() {
  return createApp({
    pool: ctx.pool,
    temporal: { client: ctx.client, taskQueue: ctx.stack.taskQueue, searchAttributes: true, syncTimeoutMs: 30_000 },
    rateLimit: { perSecond: 5, burst: 0 },
  });
}

test('the limit holds across two API processes: 5 of 12 pass, the rest get 429 with Retry-After', async () => {
  const [one, two] = [limitedApp(), limitedApp()];
  const env = await newEnvironment(ctx.pool, 'limited');
  const other = await newEnvironment(ctx.pool, 'neighbour');
  const results = await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      request(i % 2 ? one : two).get('/wallet/').set('X-Wallet-Signature', env.secret).query({ env_id: env.envId, user_id: 'u' }),
    ),
  );
  const ok = results.filter((r) => r.status === 200);
  const limited = results.filter((r) => r.status === 429);
  expect(ok).toHaveLength(5);
  expect(limited).toHaveLength(7);
  for (const r of limited) {
    expect(r.body.error.code).toBe('rate_limited');
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(r.headers['ratelimit-limit']).toBe('5');
    expect(r.headers['ratelimit-remaining']).toBe('0');
  }
  // Another environment has its own bucket.
  const neighbour = await request(one).get('/wallet/').set('X-Wallet-Signature', other.secret).query({ env_id: other.envId, user_id: 'u' });
  expect(neighbour.status).toBe(200);
  expect(neighbour.headers['ratelimit-remaining']).toBe('4');
});

describe('signed mode', () => {
  let env: { envId: string; secret: string };
  let walletId: string;
  beforeAll(async () => {
    env = await newEnvironment(ctx.pool, 'signed');
    walletId = (await request(ctx.app).post('/wallet/').set('X-Wallet-Signature', env.secret).send(seedBody({ env_id: env.envId, user_id: 's' }))).body.id;
  });

  function signed(body: string, opts: { secret?: string; timestamp?: number; envHeader?: string; sendBody?: string } = {}) {
    const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
    const path = '/wallet/topup/';
    return request(ctx.app)
      .post(path)
      .set('Content-Type', 'application/json')
      .set('X-Wallet-Env', opts.envHeader ?? env.envId)
      .set('X-Wallet-Timestamp', String(timestamp))
      .set('X-Wallet-Signature', signRequest(opts.secret ?? env.secret, timestamp, 'POST', path, body))
      .send(opts.sendBody ?? body);
  }

  const topupBody = () => seedBody({ env_id: env.envId, user_id: 's', wallet_id: walletId, amount: 1 });

  test('a correctly signed request is accepted', async () => {
    const res = await signed(topupBody());
    expect(res.status).toBe(200);
  });

  test('a tampered body, a stale or future timestamp, or another environment are refused with 401 and move nothing', async () => {
    const before = (await ctx.pool.query('select balance::text from wallets where id = $1', [walletId])).rows[0].balance;
    const tampered = await signed(topupBody(), { sendBody: seedBody({ env_id: env.envId, user_id: 's', wallet_id: walletId, amount: 1000 }) });
    const stale = await signed(topupBody(), { timestamp: Math.floor(Date.now() / 1000) - 301 });
    const future = await signed(topupBody(), { timestamp: Math.floor(Date.now() / 1000) + 301 });
    const other = await newEnvironment(ctx.pool, 'other-signed');
    const wrongEnv = await signed(topupBody(), { envHeader: other.envId });
    const wrongKey = await signed(topupBody(), { secret: other.secret });
    for (const res of [tampered, stale, future, wrongEnv, wrongKey]) {
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
    expect((await ctx.pool.query('select balance::text from wallets where id = $1', [walletId])).rows[0].balance).toBe(before);
  });

  test('during a rotation overlap both secrets sign; the plain secret keeps working; an expired one does not', async () => {
    const next = 'secret_rotated_' + env.envId;
    await ctx.pool.query('insert into environment_secrets (env_id, secret_hash) values ($1, $2)', [env.envId, hashSecret(next)]);
    expect((await signed(topupBody(), { secret: next })).status).toBe(200);
    expect((await signed(topupBody())).status).toBe(200);
    await ctx.pool.query(`update environment_secrets set expires_at = now() - interval '1 second' where env_id = $1 and secret_hash <> $2`, [
      env.envId,
      hashSecret(next),
    ]);
    expect((await signed(topupBody())).status).toBe(401);
    expect((await signed(topupBody(), { secret: next })).status).toBe(200);
  });
});
