/**
 * Every workflow is started through src/temporal/start-workflow.ts, so every one carries
 * the same memo and search attributes and the same workflow task timeout, whoever starts
 * it: the API's update-with-start of a withdrawal (with the HTTP request's id) and the
 * worker's webhook dispatcher alike, read back from Temporal with describe(). And the
 * worker counts what it does: Stripe calls in a withdrawal and webhook delivery attempts
 * move paynocchio_stripe_calls_total and paynocchio_webhook_deliveries_total on the
 * worker's /metrics.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { merchant } from '../helpers/api';
import { pollUntil } from '../helpers/poll';
import { accountUpdated, payoutEvent, postEvent } from '../helpers/stripe-events';
import { expectLedgerExact, newEnvironment, seedBody, startTestContext, type TestContext } from '../helpers/stack';
import { withdrawalClient } from '../helpers/withdrawal-client';

let ctx: TestContext;
let env: { envId: string; secret: string };
let receiver: Server;
let receiverUrl: string;

beforeAll(async () => {
  // The receiver listens on 127.0.0.1: this app (and the suite's worker) allow private networks.
  ctx = await startTestContext({ webhooks: { allowPrivateNetworks: true } });
  env = await newEnvironment(ctx.pool, 'workflow-start');
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await ctx.close();
});
afterEach(async () => expectLedgerExact(ctx.pool));

const { funded, until } = withdrawalClient(() => ctx, () => env, 'start-user');

/** The worker process's counter (0 when the series does not exist yet). */
async function workerCounter(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(ctx.stack.workerMetricsUrl)).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.indexOf('}'));
    if (wanted.every((l) => labelText.split(',').includes(l))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

async function describeRaw(workflowId: string) {
  const d = await ctx.client.workflow.getHandle(workflowId).describe();
  return { memo: d.memo, searchAttributes: d.searchAttributes, taskTimeout: d.raw.executionConfig?.defaultWorkflowTaskTimeout };
}

test('a withdrawal: memo with the request id, search attributes, 3 s task timeout; its Stripe calls are counted by the worker', async () => {
  const stripeOk = (operation: string) => workerCounter('paynocchio_stripe_calls_total', { operation, outcome: 'ok' });
  const before = {
    account: await stripeOk('accounts.create'),
    link: await stripeOk('accountLinks.create'),
    transfer: await stripeOk('transfers.create'),
    payout: await stripeOk('payouts.create'),
  };
  const u = await funded(300);
  const res = await request(ctx.app)
    .post('/wallet/withdraw/')
    .set({ 'X-Wallet-Signature': env.secret, 'X-Request-Id': 'req-start-withdraw' })
    .send(seedBody({ env_id: Number(env.envId), user_id: u.userId, wallet_id: Number(u.walletId), amount: 120 }));
  expect(res.status).toBe(200);
  const workflowId = String(res.headers['workflow-id']);

  const d = await describeRaw(workflowId);
  expect(d.memo).toEqual({ envId: env.envId, walletId: u.walletId, userId: u.userId, kind: 'withdraw', requestId: 'req-start-withdraw' });
  expect(d.searchAttributes).toMatchObject({
    PaynocchioEnvId: [env.envId],
    PaynocchioWalletId: [u.walletId],
    PaynocchioUserId: [u.userId],
    PaynocchioKind: ['withdraw'],
  });
  expect(String(d.taskTimeout?.seconds)).toBe('3');

  // Onboarded → transfer and payout; paid → settled.
  const id = res.body.withdrawal_id as string;
  const w = await until(id, (b) => b.stripe_account_id !== null);
  expect((await postEvent(ctx.app, ctx.stripe, accountUpdated(w.stripe_account_id, env.envId, u.userId))).status).toBe(200);
  const moving = await until(id, (b) => b.stripe_payout_id !== null);
  const paid = payoutEvent('payout.paid', moving.stripe_payout_id, moving.stripe_account_id, env.envId, id);
  expect((await postEvent(ctx.app, ctx.stripe, paid)).status).toBe(200);
  await ctx.client.workflow.getHandle(workflowId).result();

  // Other files run beside this one on the same worker: each count moved by at least this withdrawal's call.
  expect(await stripeOk('accounts.create')).toBeGreaterThanOrEqual(before.account + 1);
  expect(await stripeOk('accountLinks.create')).toBeGreaterThanOrEqual(before.link + 1);
  expect(await stripeOk('transfers.create')).toBeGreaterThanOrEqual(before.transfer + 1);
  expect(await stripeOk('payouts.create')).toBeGreaterThanOrEqual(before.payout + 1);
});

test('a webhook delivery started by the worker dispatcher: memo and search attributes; its attempt is counted', async () => {
  const delivered = () => workerCounter('paynocchio_webhook_deliveries_total', { event: 'wallet.created', outcome: 'delivered' });
  const before = await delivered();
  const m = merchant(ctx, env);
  const registered = await m.post(`/environments/${env.envId}/webhooks/`, { url: receiverUrl, event_types: ['wallet.created'] });
  expect(registered.status).toBe(201);
  await m.wallet('start-webhook-user'); // wallet.created → one delivery to the endpoint

  const delivery = await pollUntil('the delivered delivery', async () => {
    const { rows } = await ctx.pool.query<{ id: string; event_id: string; endpoint_id: string }>(
      `select d.id::text, d.event_id::text, d.endpoint_id::text from webhook_deliveries d join webhook_events e on e.id = d.event_id
        where e.env_id = $1 and e.type = 'wallet.created' and d.status = 'delivered'`,
      [env.envId],
    );
    return rows[0];
  });
  const workflowId = `webhook-delivery-${delivery.id}`;
  await ctx.client.workflow.getHandle(workflowId).result();

  const d = await describeRaw(workflowId);
  expect(d.memo).toEqual({
    envId: env.envId,
    kind: 'webhookDelivery',
    deliveryId: delivery.id,
    eventId: delivery.event_id,
    eventType: 'wallet.created',
    endpointId: delivery.endpoint_id,
  });
  expect(d.searchAttributes).toMatchObject({ PaynocchioEnvId: [env.envId], PaynocchioKind: ['webhookDelivery'] });
  expect(String(d.taskTimeout?.seconds)).toBe('3');

  expect(await delivered()).toBeGreaterThanOrEqual(before + 1);
});
