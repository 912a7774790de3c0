/**
 * 50 concurrent payments of 30.00 on a wallet holding 1000.00: exactly 33 succeed,
 * 10.00 remains, the other 17 are refused with insufficient_funds, and the ledger is exact.
 * Also: requests retried with one Idempotency-Key attach to one workflow and move money once.
 */
import request from 'supertest';
import { expectLedgerExact, newEnvironment, seedBody, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
let env: { envId: string; secret: string };

beforeAll(async () => {
  ctx = await startTestContext();
  env = await newEnvironment(ctx.pool, 'concurrency');
});
afterAll(async () => ctx.close());

const post = (path: string, body: Record<string, unknown>, key?: string) => {
  const t = request(ctx.app).post(path).set('X-Wallet-Signature', env.secret).set('Content-Type', 'application/json');
  return (key ? t.set('Idempotency-Key', key) : t).send(seedBody(body));
};

async function fundedWallet(user: string, amount: string): Promise<string> {
  const id = (await post('/wallet/', { env_id: env.envId, user_id: user })).body.id as string;
  const topup = await post('/wallet/topup/', { env_id: env.envId, user_id: user, wallet_id: id, amount });
  expect(topup.status).toBe(200);
  return id;
}

test('50 concurrent payments of 30.00 on 1000.00: 33 succeed, 17 refused, 10.00 left', async () => {
  const walletId = await fundedWallet('racer', '1000.00');
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      post('/wallet/payment/', { env_id: env.envId, user_id: 'racer', wallet_id: walletId, amount: '30.00', product_id: `p${i}` }),
    ),
  );
  const statuses = results.map((r) => r.status);
  expect(statuses.filter((s) => s === 200)).toHaveLength(33);
  expect(statuses.filter((s) => s === 422)).toHaveLength(17);
  for (const r of results.filter((x) => x.status === 422)) expect(r.body.error.code).toBe('insufficient_funds');

  const wallet = await request(ctx.app).get('/wallet/').set('X-Wallet-Signature', env.secret).query({ env_id: env.envId, user_id: 'racer' });
  expect(wallet.text).toContain('"balance":10.00');
  const { rows } = await ctx.pool.query(
    `select status, count(*)::int as n from orders where wallet_id = $1 group by status order by status`,
    [walletId],
  );
  expect(rows).toEqual([
    { status: 'completed', n: 33 },
    { status: 'failed', n: 17 },
  ]);
  await expectLedgerExact(ctx.pool);
});

test('the same Idempotency-Key sent 10 times at once moves money once', async () => {
  const walletId = await fundedWallet('retrier', '100.00');
  const key = `pay-${Date.now()}`;
  const body = { env_id: env.envId, user_id: 'retrier', wallet_id: walletId, amount: '12.34', product_id: 'once' };
  const results = await Promise.all(Array.from({ length: 10 }, () => post('/wallet/payment/', body, key)));
  expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
  expect(new Set(results.map((r) => r.body.order.id)).size).toBe(1);
  expect(new Set(results.map((r) => r.headers['workflow-id'])).size).toBe(1);
  const later = await post('/wallet/payment/', body, key);
  expect(later.body.order.id).toBe(results[0]!.body.order.id);
  const { rows } = await ctx.pool.query(`select balance::text from wallets where id = $1`, [walletId]);
  expect(rows[0].balance).toBe('8766');
  const orders = await ctx.pool.query(`select count(*)::int as n from orders where wallet_id = $1`, [walletId]);
  expect(orders.rows[0].n).toBe(1);
  await expectLedgerExact(ctx.pool);
});

test('a refused payment retried with its key gives the same refusal and moves nothing', async () => {
  const walletId = await fundedWallet('refused', '1.00');
  const body = { env_id: env.envId, user_id: 'refused', wallet_id: walletId, amount: '2.00', product_id: 'x' };
  const first = await post('/wallet/payment/', body, 'refused-key');
  const again = await post('/wallet/payment/', body, 'refused-key');
  expect([first.status, again.status]).toEqual([422, 422]);
  expect(again.body.error.code).toBe('insufficient_funds');
  const orders = await ctx.pool.query(`select count(*)::int as n from orders where wallet_id = $1`, [walletId]);
  expect(orders.rows[0].n).toBe(1);
});
