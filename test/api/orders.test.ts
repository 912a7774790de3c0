/** GET /wallet/{env_id}/orders/{user_id}: newest first, keyset pages that neither skip nor repeat. */
import request from 'supertest';
import { newEnvironment, seedBody, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
let env: { envId: string; secret: string };
beforeAll(async () => {
  ctx = await startTestContext();
  env = await newEnvironment(ctx.pool, 'orders');
});
afterAll(async () => ctx.close());

test('pages through 7 orders 3 at a time, newest first, then stops', async () => {
  const post = (path: string, body: Record<string, unknown>) =>
    request(ctx.app).post(path).set('X-Wallet-Signature', env.secret).send(seedBody(body));
  const walletId = (await post('/wallet/', { env_id: env.envId, user_id: 'shopper' })).body.id;
  await post('/wallet/topup/', { env_id: env.envId, user_id: 'shopper', wallet_id: walletId, amount: 100 });
  const made: string[] = [];
  for (let i = 0; i < 7; i++) {
    const res = await post('/wallet/payment/', { env_id: env.envId, user_id: 'shopper', wallet_id: walletId, amount: 1, product_id: `p${i}` });
    made.push(res.body.order.id);
  }
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 5; page++) {
    const res = await request(ctx.app)
      .get(`/wallet/${env.envId}/orders/shopper`)
      .set('X-Wallet-Signature', env.secret)
      .query({ limit: 3, ...(cursor ? { cursor } : {}) });
    expect(res.status).toBe(200);
    seen.push(...res.body.orders.map((o: { id: string }) => o.id));
    cursor = res.body.next_cursor;
    if (!cursor) break;
  }
  expect(seen).toEqual([...made].reverse());
});

test.each([['0'], ['101'], ['abc'], ['1.5']])('limit=%s → 422', async (limit) => {
  const res = await request(ctx.app).get(`/wallet/${env.envId}/orders/shopper`).set('X-Wallet-Signature', env.secret).query({ limit });
  expect(res.status).toBe(422);
});

test('a malformed cursor → 422', async () => {
  const res = await request(ctx.app).get(`/wallet/${env.envId}/orders/shopper`).set('X-Wallet-Signature', env.secret).query({ cursor: "1' or 1=1" });
  expect(res.status).toBe(422);
});
