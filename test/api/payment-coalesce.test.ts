/**
 * PAYMENT_COALESCE=true (issue 11 lever, off by default): a payment is an Update of its
 * wallet's walletPayments workflow; concurrent payments are posted together in one SQL
 * transaction. Against the real stack: the same answers, refusals, idempotency and an
 * exact ledger as one workflow per payment.
 */
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { recordHistory } from '../helpers/record-history';
import { expectLedgerExact, newEnvironment, seedBody, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
let app: ReturnType<typeof createApp>;
let env: { envId: string; secret: string };
let users = 0;

beforeAll(async () => {
  ctx = await startTestContext();
  env = await newEnvironment(ctx.pool, 'coalesce');
  app = createApp({
    pool: ctx.pool,
    temporal: { client: ctx.client, taskQueue: ctx.stack.taskQueue, searchAttributes: true, syncTimeoutMs: 30_000, paymentCoalesce: true },
  });
});
afterAll(async () => {
  await expectLedgerExact(ctx.pool);
  await ctx.close();
});

function post(path: string, body: Record<string, unknown>, key?: string) {
  const r = request(app).post(path).set('X-Wallet-Signature', env.secret).set('Content-Type', 'application/json');
  if (key) r.set('Idempotency-Key', key);
  return r.send(seedBody(body));
}

async function newWallet(amount: number): Promise<{ walletId: string; user: string }> {
  const user = `coalesce-user-${++users}`;
  const walletId = (await post('/wallet/', { env_id: env.envId, user_id: user })).body.id as string;
  expect((await post('/wallet/topup/', { env_id: env.envId, user_id: user, wallet_id: walletId, amount })).status).toBe(200);
  return { walletId, user };
}

/** Local activities of one type in the wallet workflow's histories (every run). */
async function payOrdersCalls(workflowId: string): Promise<number> {
  let n = 0;
  for await (const wf of ctx.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const history = await ctx.client.workflow.getHandle(workflowId, wf.runId).fetchHistory();
    for (const e of history.events ?? []) {
      const m = e.markerRecordedEventAttributes;
      if (m?.markerName !== 'core_local_activity') continue;
      const data = JSON.parse(Buffer.from(m.details?.data?.payloads?.[0]?.data ?? []).toString('utf8'));
      if (data.activity_type === 'payOrders') n++;
    }
  }
  return n;
}

test('20 concurrent payments on one wallet: exactly the ones the balance covers succeed, the rest 422 insufficient_funds, coalesced, ledger exact', async () => {
  const { walletId, user } = await newWallet(100);
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) => post('/wallet/payment/', { env_id: env.envId, user_id: user, wallet_id: walletId, amount: 7, product_id: `c${i}` })),
  );
  const ok = answers.filter((r) => r.status === 200);
  const refused = answers.filter((r) => r.status !== 200);
  expect(ok).toHaveLength(14);
  expect(refused.map((r) => [r.status, r.body.error.code])).toEqual(Array(6).fill([422, 'insufficient_funds']));
  for (const r of ok) expect(r.body.order).toMatchObject({ status: 'completed', amount: 7 });
  expect(Math.min(...ok.map((r) => r.body.wallet.balance))).toBe(2);
  const { rows } = await ctx.pool.query(
    `select status, count(*)::int as n, count(distinct workflow_id)::int as ids from orders where wallet_id = $1 group by status order by status`,
    [walletId],
  );
  expect(rows).toEqual([
    { status: 'completed', n: 14, ids: 14 },
    { status: 'failed', n: 6, ids: 6 },
  ]);
  expect((await ctx.pool.query('select balance::text from wallets where id = $1', [walletId])).rows).toEqual([{ balance: '200' }]);
  // Each payment's id (its Workflow-Id header) is its update id on the wallet's workflow.
  const workflowId = `wallet-payments-${env.envId}-${walletId}`;
  const orderIds = (await ctx.pool.query('select workflow_id from orders where wallet_id = $1', [walletId])).rows.map((r) => r.workflow_id);
  expect(new Set(answers.map((r) => r.headers['workflow-id'] ?? r.body.error?.details?.workflow_id).filter(Boolean)).size).toBeLessThanOrEqual(20);
  expect(orderIds.every((id: string) => id.startsWith(`payment-${env.envId}-`))).toBe(true);
  // Coalesced: fewer posting transactions than payments.
  const calls = await payOrdersCalls(workflowId);
  expect(calls).toBeGreaterThanOrEqual(1);
  expect(calls).toBeLessThan(20);
  // Findable by the search attribute an operator types.
  const byAttr: string[] = [];
  for await (const wf of ctx.client.workflow.list({ query: `PaynocchioWalletId = '${walletId}'` })) byAttr.push(wf.workflowId);
  expect(byAttr).toContain(workflowId);
  recordHistory('wallet-payments', workflowId);
}, 60_000);

test('Idempotency-Key: a retried payment answers the same and posts once', async () => {
  const { walletId, user } = await newWallet(50);
  const body = { env_id: env.envId, user_id: user, wallet_id: walletId, amount: 10, product_id: 'idem' };
  const [a, b] = await Promise.all([post('/wallet/payment/', body, 'coalesce-key-1'), post('/wallet/payment/', body, 'coalesce-key-1')]);
  const c = await post('/wallet/payment/', body, 'coalesce-key-1');
  for (const r of [a, b, c]) expect(r.status).toBe(200);
  expect(new Set([a, b, c].map((r) => r.body.order.id)).size).toBe(1);
  expect((await ctx.pool.query('select balance::text from wallets where id = $1', [walletId])).rows).toEqual([{ balance: '4000' }]);
  expect((await ctx.pool.query('select count(*)::int as n from orders where wallet_id = $1', [walletId])).rows).toEqual([{ n: 1 }]);
}, 60_000);
