/**
 * POST /stripe/webhook signals the withdraw and card top-up workflows only after the SQL transaction that
 * records the event has committed (src/services/stripe-events.ts): no pooled connection or
 * row lock is held across a Temporal round trip. A signal that fails forgets the event, so
 * Stripe's next delivery routes it instead of being taken for a duplicate.
 *
 * The app's Temporal client is wrapped: before each signal goes out, the test reads, on
 * another connection, whether the event id and the account's payouts_enabled are committed.
 */
import type { Client } from '@temporalio/client';
import { DomainError } from '../../src/domain/errors';
import request from 'supertest';
import { newEnvironment, seedBody, startTestContext, type TestContext } from '../helpers/stack';
import { withdrawalClient } from '../helpers/withdrawal-client';
import { accountUpdated, paymentIntentEvent, postEvent } from '../helpers/stripe-events';
import { pollUntil } from '../helpers/poll';

type Seen = { workflowId: string; eventCommitted: boolean; accountCommitted: boolean };

let ctx: TestContext; // the real client: sets up withdrawals
let watched: TestContext; // the app under test: its signals are watched
let env: { envId: string; secret: string };
const seen: Seen[] = [];
let currentEventId = '';
let failNextSignal = false;

/** The client with `workflow.getHandle(id).signal(...)` observed (and failed once on demand). */
function watchSignals(client: Client): Client {
  const bind = (target: object, p: string | symbol) => {
    const v = Reflect.get(target, p);
    return typeof v === 'function' ? v.bind(target) : v;
  };
  const workflow = new Proxy(client.workflow, {
    get(target, p) {
      if (p !== 'getHandle') return bind(target, p);
      return (workflowId: string, ...rest: unknown[]) => {
        const handle = (target.getHandle as (...a: unknown[]) => object)(workflowId, ...rest);
        return new Proxy(handle, {
          get(h, q) {
            if (q !== 'signal') return bind(h, q);
            return async (...args: unknown[]) => {
              const event = await ctx.pool.query('select 1 from stripe_events where id = $1', [currentEventId]);
              const account = await ctx.pool.query(
                `select 1 from stripe_accounts a join withdrawals w on w.env_id = a.env_id and w.user_id = a.user_id
                  where w.workflow_id = $1 and a.payouts_enabled`,
                [workflowId],
              );
              seen.push({ workflowId, eventCommitted: event.rowCount === 1, accountCommitted: account.rowCount === 1 });
              if (failNextSignal) {
                failNextSignal = false;
                throw new DomainError('unavailable', 'Temporal is down (test)');
              }
              return (Reflect.get(h, 'signal') as (...a: unknown[]) => Promise<void>).apply(h, args);
            };
          },
        });
      };
    },
  });
  return new Proxy(client, { get: (target, p) => (p === 'workflow' ? workflow : bind(target, p)) });
}

beforeAll(async () => {
  ctx = await startTestContext();
  watched = await startTestContext({ wrapClient: watchSignals });
  env = await newEnvironment(ctx.pool, 'stripe webhook');
});
afterAll(async () => {
  await ctx.close();
  await watched.close();
});

const { funded, withdraw, until } = withdrawalClient(() => ctx, () => env, 'stripe-webhook-user');

async function awaitingOnboarding() {
  const u = await funded(100);
  const res = await withdraw(u, 30);
  expect(res.status).toBe(200);
  const w = await until(res.body.withdrawal_id, (b) => b.stripe_account_id !== null);
  return { u, w, workflowId: res.headers['workflow-id'] as string };
}

test('account.updated: the signal goes out after the event and payouts_enabled have committed', async () => {
  const { u, w, workflowId } = await awaitingOnboarding();
  const event = accountUpdated(w.stripe_account_id, env.envId, u.userId);
  currentEventId = event.id;
  seen.length = 0;
  const res = await postEvent(watched.app, watched.stripe, event);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ received: true, duplicate: false, routed: 1 });
  expect(seen).toEqual([{ workflowId, eventCommitted: true, accountCommitted: true }]);
  await until(w.id, (b) => b.status === 'processing' || b.stripe_transfer_id !== null);
});

test('a signal that fails answers 503 and forgets the event: the next delivery routes it, the one after is a duplicate', async () => {
  const { u, w, workflowId } = await awaitingOnboarding();
  const event = accountUpdated(w.stripe_account_id, env.envId, u.userId);
  currentEventId = event.id;
  seen.length = 0;
  failNextSignal = true;
  const failed = await postEvent(watched.app, watched.stripe, event);
  expect(failed.status).toBe(503);
  expect(failed.body.error.code).toBe('unavailable');
  expect((await ctx.pool.query('select 1 from stripe_events where id = $1', [event.id])).rowCount).toBe(0);

  const again = await postEvent(watched.app, watched.stripe, event);
  expect(again.status).toBe(200);
  expect(again.body).toMatchObject({ duplicate: false, routed: 1 });
  expect(seen.map((s) => s.workflowId)).toEqual([workflowId, workflowId]);
  await until(w.id, (b) => b.status === 'processing' || b.stripe_transfer_id !== null);

  const third = await postEvent(watched.app, watched.stripe, event);
  expect(third.body).toMatchObject({ duplicate: true, routed: 0 });
  expect(seen).toHaveLength(2);
});

test('payment_intent.succeeded: the card top-up is signalled after the commit; a failed signal answers 503, the redelivery signals again, one credit', async () => {
  const auth = { 'X-Wallet-Signature': env.secret };
  const userId = 'stripe-webhook-card';
  const made = await request(ctx.app).post('/wallet/').set(auth).send(seedBody({ env_id: Number(env.envId), user_id: userId }));
  expect(made.status).toBe(200);
  const started = await request(ctx.app)
    .post('/wallet/topup/')
    .set(auth)
    .send(seedBody({ env_id: Number(env.envId), user_id: userId, wallet_id: Number(made.body.id), amount: 25, method: 'card' }));
  expect(started.status).toBe(200);
  const { id, payment_intent_id: pi } = started.body.topup as { id: string; payment_intent_id: string };
  const workflowId = started.headers['workflow-id'] as string;
  const event = paymentIntentEvent('payment_intent.succeeded', pi, 2500);
  currentEventId = event.id;
  seen.length = 0;
  failNextSignal = true;

  const failed = await postEvent(watched.app, watched.stripe, event);
  expect(failed.status).toBe(503);
  expect((await ctx.pool.query('select 1 from stripe_events where id = $1', [event.id])).rowCount).toBe(0);
  // The outcome written in the event's transaction stays; the workflow has not heard of it.
  expect((await ctx.pool.query<{ outcome: string; status: string }>('select outcome, status from card_topups where id = $1', [id])).rows[0]).toEqual({
    outcome: 'succeeded',
    status: 'requires_payment',
  });

  const again = await postEvent(watched.app, watched.stripe, event);
  expect(again.status).toBe(200);
  expect(again.body).toMatchObject({ duplicate: false, routed: 1 });
  expect(seen).toEqual([
    { workflowId, eventCommitted: true, accountCommitted: false },
    { workflowId, eventCommitted: true, accountCommitted: false },
  ]);
  await pollUntil(`card top-up ${id}`, async () => {
    const { rows } = await ctx.pool.query<{ status: string }>('select status from card_topups where id = $1', [id]);
    return rows[0]!.status === 'completed' ? true : undefined;
  }, 30_000);
  const credits = await ctx.pool.query(`select 1 from ledger_transactions where type = 'card_topup' and reference = $1`, [`card_topup:${id}`]);
  expect(credits.rowCount).toBe(1);

  const third = await postEvent(watched.app, watched.stripe, event);
  expect(third.body).toMatchObject({ duplicate: true, routed: 0 });
  expect(seen).toHaveLength(2);
});
