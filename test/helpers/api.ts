/** A merchant's calls against the app, in the seed's style (double-encoded bodies). */
import request from 'supertest';
import { seedBody, type TestContext } from './stack';

export function merchant(ctx: TestContext, env: { envId: string; secret: string }) {
  const headers = { 'X-Wallet-Signature': env.secret, 'Content-Type': 'application/json' };
  const post = (path: string, body: Record<string, unknown>, key?: string) => {
    const req = request(ctx.app).post(path).set(headers);
    if (key !== undefined) req.set('Idempotency-Key', key);
    return req.send(seedBody(body));
  };
  const patch = (path: string, body: Record<string, unknown>) => request(ctx.app).patch(path).set(headers).send(seedBody(body));
  const put = (path: string, body: Record<string, unknown>) => request(ctx.app).put(path).set(headers).send(seedBody(body));
  const get = (path: string, query: Record<string, unknown> = {}) => request(ctx.app).get(path).set(headers).query(query);
  return {
    envId: env.envId,
    post,
    patch,
    put,
    get,
    async setStatus(userId: string, walletId: string, status: string) {
      const res = await patch(`/wallet/${walletId}/status/`, { env_id: env.envId, user_id: userId, status });
      expect(res.status).toBe(200);
    },
    async wallet(userId: string, currency = 'USD'): Promise<string> {
      const res = await post('/wallet/', { env_id: Number(env.envId), user_id: userId, currency });
      expect(res.status).toBe(200);
      return res.body.id as string;
    },
    async topup(userId: string, walletId: string, amount: number | string) {
      const res = await post('/wallet/topup/', { env_id: Number(env.envId), user_id: userId, wallet_id: Number(walletId), amount });
      expect(res.status).toBe(200);
      return res;
    },
    async pay(userId: string, walletId: string, amount: number | string, productId = 'p1') {
      const res = await post('/wallet/payment/', {
        env_id: Number(env.envId),
        user_id: userId,
        wallet_id: Number(walletId),
        amount,
        product_id: productId,
      });
      expect(res.status).toBe(200);
      return res;
    },
    async balance(walletId: string): Promise<string> {
      const { rows } = await ctx.pool.query<{ balance: string }>('select balance from wallets where id = $1', [walletId]);
      return rows[0]!.balance;
    },
  };
}
