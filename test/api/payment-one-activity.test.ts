/**
 * Issue 11: a payment is ONE local activity (payOrder: order + charge in one SQL
 * transaction) behind patched('payment-one-activity'); PAYMENT_SINGLE_ACTIVITY=false
 * (the API's paymentTwoSteps) keeps the two-step path. Answers, orders and events are
 * the same either way. With RECORD_HISTORIES=1 this records the new path's histories.
 */
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { recordHistory } from '../helpers/record-history';
import { expectLedgerExact, newEnvironment, seedBody, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
let env: { envId: string; secret: string };
let walletId: string;
const user = 'one-activity-user';

beforeAll(async () => {
  ctx = await startTestContext();
  env = await newEnvironment(ctx.pool, 'one-activity');
  walletId = (await post(ctx.app, '/wallet/', { env_id: env.envId, user_id: user })).body.id;
  expect((await post(ctx.app, '/wallet/topup/', { env_id: env.envId, user_id: user, wallet_id: walletId, amount: 100 })).status).toBe(200);
});
afterAll(async () => {
  await expectLedgerExact(ctx.pool);
  await ctx.close();
});

function post(app: ReturnType<typeof createApp>, path: string, body: Record<string, unknown>) {
  return request(app).post(path).set('X-Wallet-Signature', env.secret).set('Content-Type', 'application/json').send(seedBody(body));
}

/** The workflow's local activities (by type) and patch ids, from its history. */
async function markers(workflowId: string) {
  const history = await ctx.client.workflow.getHandle(workflowId).fetchHistory();
  const localActivities: string[] = [];
  const patches: string[] = [];
  for (const e of history.events ?? []) {
    const m = e.markerRecordedEventAttributes;
    if (!m) continue;
    const text = (k: string) => Buffer.from(m.details?.[k]?.payloads?.[0]?.data ?? []).toString('utf8');
    if (m.markerName === 'core_local_activity') localActivities.push(JSON.parse(text('data')).activity_type);
    if (m.markerName === 'core_patch') patches.push(JSON.parse(text('patch-data')).id);
  }
  return { localActivities, patches };
}

const payment = (amount: number, product: string) => ({ env_id: env.envId, user_id: user, wallet_id: walletId, amount, product_id: product });

test('a payment runs as one local activity (payOrder) and answers as before: order completed, wallet debited, one event', async () => {
  const res = await post(ctx.app, '/wallet/payment/', payment(10, 'one-step'));
  expect(res.status).toBe(200);
  expect(res.body.order).toMatchObject({ status: 'completed', amount: 10, product_id: 'one-step' });
  expect(res.body.wallet.balance).toBe(90);
  const workflowId = res.headers['workflow-id'] as string;
  expect(await markers(workflowId)).toEqual({ localActivities: ['payOrder'], patches: ['payment-one-activity'] });
  recordHistory('payment-one-activity', workflowId);
  const { rows } = await ctx.pool.query('select status, transaction_id is not null as posted from orders where workflow_id = $1', [workflowId]);
  expect(rows).toEqual([{ status: 'completed', posted: true }]);
});

test('refused for insufficient funds: 422 as before, the order recorded failed with the code, nothing debited', async () => {
  const before = await ctx.pool.query('select balance::text from wallets where id = $1', [walletId]);
  const res = await post(ctx.app, '/wallet/payment/', payment(1000, 'one-step-refused'));
  expect(res.status).toBe(422);
  expect(res.body.error.code).toBe('insufficient_funds');
  const { rows } = await ctx.pool.query(`select workflow_id, status, failure_code, transaction_id from orders where env_id = $1 and product_id = 'one-step-refused'`, [env.envId]);
  expect(rows).toEqual([{ workflow_id: expect.any(String), status: 'failed', failure_code: 'insufficient_funds', transaction_id: null }]);
  expect(await markers(rows[0].workflow_id)).toEqual({ localActivities: ['payOrder', 'createOrder', 'failOrder'], patches: ['payment-one-activity'] });
  recordHistory('payment-one-activity-insufficient-funds', rows[0].workflow_id);
  expect((await ctx.pool.query('select balance::text from wallets where id = $1', [walletId])).rows).toEqual(before.rows);
});

test('PAYMENT_SINGLE_ACTIVITY=false: the two local activities of before, no patch marker, the same answer', async () => {
  const app = createApp({
    pool: ctx.pool,
    temporal: { client: ctx.client, taskQueue: ctx.stack.taskQueue, searchAttributes: true, syncTimeoutMs: 30_000, paymentTwoSteps: true },
  });
  const res = await post(app, '/wallet/payment/', payment(5, 'two-steps'));
  expect(res.status).toBe(200);
  expect(res.body.order).toMatchObject({ status: 'completed', amount: 5 });
  expect(await markers(res.headers['workflow-id'] as string)).toEqual({ localActivities: ['createOrder', 'chargeOrder'], patches: [] });
});
