/**
 * The withdrawal API calls the withdrawal test files share, against an app and environment
 * their beforeAll sets up (hence the getters): fund a user, withdraw, read the wallet and
 * the withdrawal, poll it until a condition holds.
 */
import request from 'supertest';
import { seedBody, type TestContext } from './stack';

export type TestUser = { userId: string; walletId: string };

export function withdrawalClient(ctx: () => TestContext, env: () => { envId: string; secret: string }, userPrefix: string) {
  let userSeq = 0;
  const auth = () => ({ 'X-Wallet-Signature': env().secret });

  /** A fresh user with a USD wallet holding `balance`. */
  async function funded(balance: number): Promise<TestUser> {
    const userId = `${userPrefix}-${++userSeq}`;
    const created = await request(ctx().app).post('/wallet/').set(auth()).send(seedBody({ env_id: Number(env().envId), user_id: userId }));
    const walletId = created.body.id as string;
    const topup = await request(ctx().app)
      .post('/wallet/topup/')
      .set(auth())
      .send(seedBody({ env_id: Number(env().envId), user_id: userId, wallet_id: Number(walletId), amount: balance }));
    expect(topup.status).toBe(200);
    return { userId, walletId };
  }

  function withdraw(u: TestUser, amount: number | string, app = ctx().app) {
    return request(app)
      .post('/wallet/withdraw/')
      .set(auth())
      .send(seedBody({ env_id: Number(env().envId), user_id: u.userId, wallet_id: Number(u.walletId), amount }));
  }

  async function wallet(u: { userId: string }) {
    const res = await request(ctx().app).get('/wallet/').set(auth()).query({ env_id: env().envId, user_id: u.userId });
    return res.body.wallets[0];
  }

  function getWithdrawal(id: string) {
    return request(ctx().app).get(`/wallet/withdrawals/${id}/`).set(auth()).query({ env_id: env().envId });
  }

  /** Polls the withdrawal until the predicate holds (the workflow runs in the worker process). */
  async function until(id: string, done: (w: Record<string, any>) => boolean, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await getWithdrawal(id);
      if (done(res.body)) return res.body;
      if (Date.now() > deadline) throw new Error(`withdrawal ${id} stuck: ${JSON.stringify(res.body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  return { auth, funded, withdraw, wallet, getWithdrawal, until, nextUserSeq: () => ++userSeq };
}
