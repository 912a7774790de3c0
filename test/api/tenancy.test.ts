/**
 * Auth and tenancy as a matrix: every wallet route × (no secret, wrong secret, another
 * environment's secret, another user's wallet, another environment's wallet). None
 * reads or moves anything that is not the caller's.
 */
import request from 'supertest';
import { expectLedgerExact, newEnvironment, seedBody, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
let A: { envId: string; secret: string };
let B: { envId: string; secret: string };
let walletA: string; // env A, user alice
let walletA2: string; // env A, user bob
let walletB: string; // env B, user alice

beforeAll(async () => {
  ctx = await startTestContext();
  A = await newEnvironment(ctx.pool, 'tenant A');
  B = await newEnvironment(ctx.pool, 'tenant B');
  const create = async (env: typeof A, user: string) =>
    (await request(ctx.app).post('/wallet/').set('X-Wallet-Signature', env.secret).send(seedBody({ env_id: Number(env.envId), user_id: user }))).body.id as string;
  walletA = await create(A, 'alice');
  walletA2 = await create(A, 'bob');
  walletB = await create(B, 'alice');
  for (const [env, id, user] of [[A, walletA, 'alice'], [A, walletA2, 'bob'], [B, walletB, 'alice']] as const) {
    const res = await request(ctx.app)
      .post('/wallet/topup/')
      .set('X-Wallet-Signature', env.secret)
      .send(seedBody({ env_id: env.envId, user_id: user, wallet_id: id, amount: 50 }));
    expect(res.status).toBe(200);
  }
});
afterAll(async () => {
  await expectLedgerExact(ctx.pool);
  await ctx.close();
});

type Call = { name: string; send: (secret: string | null, env: string, user: string, wallet: string) => request.Test };
const withSecret = (t: request.Test, secret: string | null) => (secret === null ? t : t.set('X-Wallet-Signature', secret));
const calls: Call[] = [
  { name: 'POST /wallet', send: (s, e, u) => withSecret(request(ctx.app).post('/wallet/'), s).send(seedBody({ env_id: e, user_id: u })) },
  { name: 'GET /wallet', send: (s, e, u) => withSecret(request(ctx.app).get('/wallet/').query({ env_id: e, user_id: u }), s) },
  {
    name: 'PATCH status',
    send: (s, e, u, w) => withSecret(request(ctx.app).patch(`/wallet/${w}/status/`), s).send(seedBody({ env_id: e, user_id: u, status: 'suspended' })),
  },
  {
    name: 'topup',
    send: (s, e, u, w) => withSecret(request(ctx.app).post('/wallet/topup/'), s).send(seedBody({ env_id: e, user_id: u, wallet_id: w, amount: 1 })),
  },
  {
    name: 'payment',
    send: (s, e, u, w) =>
      withSecret(request(ctx.app).post('/wallet/payment/'), s).send(seedBody({ env_id: e, user_id: u, wallet_id: w, amount: 1, product_id: 'p' })),
  },
  { name: 'orders', send: (s, e, u) => withSecret(request(ctx.app).get(`/wallet/${e}/orders/${u}`), s) },
];

async function balances(): Promise<string[]> {
  const { rows } = await ctx.pool.query('select balance::text, status from wallets where id = any($1::bigint[]) order by id', [[walletA, walletA2, walletB]]);
  return rows.map((r) => `${r.balance}/${r.status}`);
}

describe.each(calls)('$name', (call) => {
  test('no secret → 401, wrong secret → 401, nothing changes', async () => {
    const before = await balances();
    const none = await call.send(null, A.envId, 'alice', walletA);
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    const wrong = await call.send('secret_wrong', A.envId, 'alice', walletA);
    expect(wrong.status).toBe(401);
    expect(await balances()).toEqual(before);
  });

  test("another environment's secret → 403, nothing changes", async () => {
    const before = await balances();
    const res = await call.send(B.secret, A.envId, 'alice', walletA);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect(await balances()).toEqual(before);
  });
});

describe.each(calls.filter((c) => ['PATCH status', 'topup', 'payment'].includes(c.name)))('$name on a wallet that is not yours', (call) => {
  test("another user's wallet in my environment → 404", async () => {
    const before = await balances();
    const res = await call.send(A.secret, A.envId, 'alice', walletA2);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect(await balances()).toEqual(before);
  });

  test("another environment's wallet named under my environment → 404", async () => {
    const before = await balances();
    const res = await call.send(A.secret, A.envId, 'alice', walletB);
    expect(res.status).toBe(404);
    expect(await balances()).toEqual(before);
  });
});

test("reads never show another environment's or user's wallets", async () => {
  const mine = await request(ctx.app).get('/wallet/').set('X-Wallet-Signature', A.secret).query({ env_id: A.envId, user_id: 'alice' });
  expect(mine.body.wallets.map((w: { id: string }) => w.id)).toEqual([walletA]);
  const unknown = await request(ctx.app).get('/wallet/').set('X-Wallet-Signature', A.secret).query({ env_id: A.envId, user_id: 'nobody' });
  expect(unknown.body).toEqual({ wallets: [] });
});
