/**
 * Card top-ups against the real stack (Postgres, Temporal, the worker, stripe-mock with
 * the real stripe client): POST /wallet/topup with "method": "card" answers at once with
 * the PaymentIntent, signed payment_intent.* events drive the workflow to completed or
 * failed, the TTL expires it, a second success credits nothing, a success after expiry is
 * flagged for an operator, and the ledger stays exact (clearing → Stripe balance).
 */
import request from 'supertest';
import { expectLedgerExact, newEnvironment, seedBody, startTestContext, type TestContext } from '../helpers/stack';
import { recordHistory } from '../helpers/record-history';
import { pollUntil } from '../helpers/poll';
import { paymentIntentEvent, postEvent } from '../helpers/stripe-events';

let ctx: TestContext;
let shortCtx: TestContext; // an app whose card top-ups expire after 1.5 s
let env: { envId: string; secret: string };
let userSeq = 0;

beforeAll(async () => {
  ctx = await startTestContext();
  shortCtx = await startTestContext({ cardTopups: { ttlMs: 1_500 } });
  // No funding float at all: card top-ups do not draw on it.
  env = await newEnvironment(ctx.pool, 'card-topups', []);
});
afterAll(async () => {
  await ctx.close();
  await shortCtx.close();
});
afterEach(async () => expectLedgerExact(ctx.pool));

const auth = () => ({ 'X-Wallet-Signature': env.secret });

async function newWallet(): Promise<{ userId: string; walletId: string }> {
  const userId = `card-${++userSeq}`;
  const res = await request(ctx.app).post('/wallet/').set(auth()).send(seedBody({ env_id: Number(env.envId), user_id: userId }));
  expect(res.status).toBe(200);
  return { userId, walletId: res.body.id as string };
}

function cardTopup(u: { userId: string; walletId: string }, amount: number | string, opts: { key?: string; app?: TestContext['app']; extra?: Record<string, unknown> } = {}) {
  const req = request(opts.app ?? ctx.app).post('/wallet/topup/').set(auth());
  if (opts.key) req.set('Idempotency-Key', opts.key);
  return req.send(seedBody({ env_id: Number(env.envId), user_id: u.userId, wallet_id: Number(u.walletId), amount, method: 'card', ...opts.extra }));
}

function getTopup(id: string) {
  return request(ctx.app).get(`/wallet/topups/${id}/`).set(auth()).query({ env_id: env.envId });
}

async function until(id: string, done: (t: Record<string, any>) => boolean, ms = 30_000): Promise<Record<string, any>> {
  return pollUntil(`top-up ${id}`, async () => {
    const res = await getTopup(id);
    return done(res.body) ? (res.body as Record<string, any>) : undefined;
  }, ms);
}

async function balance(walletId: string): Promise<string> {
  const { rows } = await ctx.pool.query<{ balance: string }>('select balance::text from wallets where id = $1', [walletId]);
  return rows[0]!.balance;
}

async function events(topupId: string): Promise<string[]> {
  const { rows } = await ctx.pool.query<{ type: string }>(
    `select type from webhook_events where env_id = $1 and type like 'topup.%' and payload::jsonb -> 'data' -> 'topup' ->> 'id' = $2 order by id`,
    [env.envId, topupId],
  );
  return rows.map((r) => r.type);
}

async function system(account: string, reference: string): Promise<string> {
  const { rows } = await ctx.pool.query<{ total: string }>(
    `select coalesce(sum(p.amount), 0)::text as total from ledger_postings p join ledger_transactions t on t.id = p.transaction_id
     where p.account = $1 and t.reference = $2`,
    [account, reference],
  );
  return rows[0]!.total;
}

const steps = (t: Record<string, any>) => (t.timeline as { step: string }[]).map((e) => e.step);

test('a card top-up answers at once with its PaymentIntent; payment_intent.succeeded credits it, and the money clears to the Stripe balance', async () => {
  const u = await newWallet();
  const res = await cardTopup(u, 25.5);
  expect(res.status).toBe(200);
  expect(res.headers['workflow-id']!).toMatch(/^card-topup-/);
  expect(res.body.topup).toMatchObject({
    id: expect.stringMatching(/^[0-9]+$/),
    status: 'requires_payment',
    amount: 25.5,
    currency: 'USD',
    wallet_id: u.walletId,
    payment_intent_id: expect.stringMatching(/^pi_/),
    client_secret: expect.any(String),
    expires_at: expect.any(String),
    transaction_id: null,
  });
  // Expires a day after it was created (the default TTL).
  const ttl = Date.parse(res.body.topup.expires_at) - Date.parse(res.body.topup.created_at);
  expect(ttl).toBeGreaterThan(23.9 * 3600_000);
  expect(ttl).toBeLessThan(24.1 * 3600_000);
  expect(res.body.wallet).toMatchObject({ id: u.walletId, balance: 0 });
  const { id, payment_intent_id: pi } = res.body.topup;

  // Nothing credited before Stripe says so; the environment has no float for a funded topup.
  const waiting = await getTopup(id);
  expect(waiting.status).toBe(200);
  expect(waiting.body).toMatchObject({ id, status: 'requires_payment' });
  expect(steps(waiting.body)).toEqual(['created', 'payment_intent_created']);
  const funded = await request(ctx.app).post('/wallet/topup/').set(auth()).send(seedBody({ env_id: Number(env.envId), user_id: u.userId, wallet_id: Number(u.walletId), amount: 1 }));
  expect(funded.status).toBe(422);
  expect(funded.body.error.code).toBe('funding_limit_exceeded');
  expect(await balance(u.walletId)).toBe('0');

  const ok = await postEvent(ctx.app, ctx.stripe, paymentIntentEvent('payment_intent.succeeded', pi, 2550));
  expect(ok.status).toBe(200);
  expect(ok.body).toEqual({ received: true, duplicate: false, routed: 1 });

  const done = await until(id, (t) => t.available_at !== null);
  expect(done).toMatchObject({ status: 'completed', client_secret: null, transaction_id: expect.stringMatching(/^[0-9]+$/) });
  expect(steps(done)).toEqual(['created', 'payment_intent_created', 'payment_succeeded', 'credited', 'funds_available']);
  expect(done.timeline[4].detail).toMatchObject({ stripe_balance_transaction_id: expect.stringMatching(/^txn_/) });
  expect(await balance(u.walletId)).toBe('2550');
  // Clearing is back to zero for this top-up; the Stripe balance account mirrors what arrived.
  expect(await system('stripe_clearing', `card_topup:${id}`)).toBe('0');
  expect(await system('stripe_balance', `card_topup:${id}`)).toBe('-2550');
  expect(await events(id)).toEqual(['topup.completed']);
  // The wallet's history shows the credit as a card_topup.
  const history = await request(ctx.app).get(`/wallet/${u.walletId}/transactions`).set(auth()).query({ env_id: env.envId, user_id: u.userId });
  expect(history.status).toBe(200);
  expect(JSON.stringify(history.body)).toContain('card_topup');

  const wf = await ctx.client.workflow.getHandle(res.headers['workflow-id']!).describe();
  expect(wf.status.name).toBe('COMPLETED');
  recordHistory('card-topup-completed', res.headers['workflow-id']!);
});

test('payment_intent.payment_failed ends it failed, cancels the PaymentIntent at Stripe, credits nothing', async () => {
  const u = await newWallet();
  const res = await cardTopup(u, 10);
  expect(res.status).toBe(200);
  const { id, payment_intent_id: pi } = res.body.topup;
  const failed = await postEvent(ctx.app, ctx.stripe, paymentIntentEvent('payment_intent.payment_failed', pi, 1000));
  expect(failed.body).toMatchObject({ routed: 1 });
  const done = await until(id, (t) => t.status === 'failed' && steps(t).includes('payment_intent_canceled'));
  expect(done).toMatchObject({ failure_code: 'insufficient_funds', failure_message: 'Your card has insufficient funds.', transaction_id: null, client_secret: null });
  expect(steps(done)).toEqual(['created', 'payment_intent_created', 'payment_failed', 'failed', 'payment_intent_canceled']);
  expect(await balance(u.walletId)).toBe('0');
  expect(await events(id)).toEqual(['topup.failed']);
  await pollUntil('workflow end', async () => (await ctx.client.workflow.getHandle(res.headers['workflow-id']!).describe()).status.name === 'COMPLETED');
  recordHistory('card-topup-failed', res.headers['workflow-id']!);
});

test('payment_intent.canceled ends it failed without canceling again', async () => {
  const u = await newWallet();
  const res = await cardTopup(u, 7);
  const { id, payment_intent_id: pi } = res.body.topup;
  expect((await postEvent(ctx.app, ctx.stripe, paymentIntentEvent('payment_intent.canceled', pi, 700))).body).toMatchObject({ routed: 1 });
  const done = await until(id, (t) => t.status === 'failed');
  expect(done).toMatchObject({ failure_code: 'payment_intent_canceled', transaction_id: null });
  await pollUntil('workflow end', async () => (await ctx.client.workflow.getHandle(res.headers['workflow-id']!).describe()).status.name === 'COMPLETED');
  expect(steps((await getTopup(id)).body)).toEqual(['created', 'payment_intent_created', 'payment_canceled', 'failed']);
  expect(await balance(u.walletId)).toBe('0');
  expect(await events(id)).toEqual(['topup.failed']);
  recordHistory('card-topup-canceled', res.headers['workflow-id']!);
});

test('no outcome within the TTL: expired, PaymentIntent canceled at Stripe; a success after that is recorded and flagged, not credited', async () => {
  const u = await newWallet();
  const res = await cardTopup(u, 12, { app: shortCtx.app });
  expect(res.status).toBe(200);
  const { id, payment_intent_id: pi } = res.body.topup;
  expect(Date.parse(res.body.topup.expires_at) - Date.parse(res.body.topup.created_at)).toBeLessThan(60_000);
  const expired = await until(id, (t) => t.status === 'expired' && steps(t).includes('payment_intent_canceled'));
  expect(expired).toMatchObject({ failure_code: 'expired', transaction_id: null, client_secret: null });
  expect(steps(expired)).toEqual(['created', 'payment_intent_created', 'expired', 'payment_intent_canceled']);
  await pollUntil('workflow end', async () => (await ctx.client.workflow.getHandle(res.headers['workflow-id']!).describe()).status.name === 'COMPLETED');
  recordHistory('card-topup-expired', res.headers['workflow-id']!);

  const late = paymentIntentEvent('payment_intent.succeeded', pi, 1200);
  const ack = await postEvent(ctx.app, ctx.stripe, late);
  expect(ack.status).toBe(200);
  expect(ack.body).toEqual({ received: true, duplicate: false, routed: 1 });
  const flagged = (await getTopup(id)).body;
  expect(flagged).toMatchObject({ status: 'needs_attention', attention_reason: 'succeeded_after_expiry', transaction_id: null });
  expect(steps(flagged).slice(-2)).toEqual(['late_payment_succeeded', 'needs_attention']);
  expect(await balance(u.walletId)).toBe('0');
  expect(await events(id)).toEqual(['topup.failed', 'topup.needs_attention']);
  // The same event again is a duplicate: nothing more.
  expect((await postEvent(ctx.app, ctx.stripe, late)).body).toEqual({ received: true, duplicate: true, routed: 0 });
  expect(await events(id)).toEqual(['topup.failed', 'topup.needs_attention']);
});

test('two success events delivered at once (and one redelivered) credit once', async () => {
  const u = await newWallet();
  const res = await cardTopup(u, 40);
  const { id, payment_intent_id: pi } = res.body.topup;
  const a = paymentIntentEvent('payment_intent.succeeded', pi, 4000);
  const b = paymentIntentEvent('payment_intent.succeeded', pi, 4000);
  const answers = await Promise.all([a, b, a, b].map((e) => postEvent(ctx.app, ctx.stripe, e)));
  expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
  // Each event id handled once; of the two, one routed to the workflow.
  expect(answers.filter((r) => r.body.duplicate === true)).toHaveLength(2);
  expect(answers.reduce((n, r) => n + r.body.routed, 0)).toBe(1);
  const done = await until(id, (t) => t.status === 'completed' && t.available_at !== null);
  expect(steps(done).filter((s) => s === 'payment_succeeded')).toHaveLength(1);
  expect(steps(done)).toContain('payment_succeeded_ignored');
  expect(await balance(u.walletId)).toBe('4000');
  const { rows } = await ctx.pool.query(`select id from ledger_transactions where type = 'card_topup' and reference = $1`, [`card_topup:${id}`]);
  expect(rows).toHaveLength(1);
  // A success after completion changes nothing either.
  expect((await postEvent(ctx.app, ctx.stripe, paymentIntentEvent('payment_intent.succeeded', pi, 4000))).body).toMatchObject({ routed: 0 });
  expect(await balance(u.walletId)).toBe('4000');
  expect(await events(id)).toEqual(['topup.completed']);
});

test('idempotency: the same key and body answers the same top-up; another body is 409', async () => {
  const u = await newWallet();
  const key = `card-key-${Date.now()}`;
  const first = await cardTopup(u, 5, { key });
  expect(first.status).toBe(200);
  const again = await cardTopup(u, 5, { key });
  expect(again.status).toBe(200);
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect(again.body.topup.id).toBe(first.body.topup.id);
  expect(again.body.topup.payment_intent_id).toBe(first.body.topup.payment_intent_id);
  const other = await cardTopup(u, 6, { key });
  expect(other.status).toBe(409);
  expect(other.body.error.code).toBe('idempotency_key_mismatch');
  const { rows } = await ctx.pool.query('select id from card_topups where wallet_id = $1', [u.walletId]);
  expect(rows).toHaveLength(1);
});

test('refusals: bad input, another user, a suspended wallet, an unknown top-up', async () => {
  const u = await newWallet();
  expect((await cardTopup(u, 1.234)).body.error.code).toBe('invalid_request');
  expect((await cardTopup(u, -1)).status).toBe(422);
  const method = await cardTopup(u, 1, { extra: { method: 'paypal' } });
  expect(method.status).toBe(422);
  expect(method.body.error.code).toBe('invalid_request');
  // Over Stripe's eight digits of minor units.
  const huge = await cardTopup(u, 1_000_000);
  expect(huge.status).toBe(422);
  expect(huge.body.error.details).toMatchObject({ field: 'amount' });
  const stranger = await cardTopup({ userId: 'someone-else', walletId: u.walletId }, 1);
  expect(stranger.status).toBe(404);
  const suspended = await request(ctx.app).patch(`/wallet/${u.walletId}/status/`).set(auth()).send(seedBody({ env_id: env.envId, user_id: u.userId, status: 'suspended' }));
  expect(suspended.status).toBe(200);
  const refused = await cardTopup(u, 1);
  expect(refused.status).toBe(422);
  expect(refused.body.error.code).toBe('wallet_not_active');
  expect((await getTopup('999999999')).status).toBe(404);
  const { rows } = await ctx.pool.query('select id from card_topups where wallet_id = $1', [u.walletId]);
  expect(rows).toHaveLength(0);
  // Another environment cannot read this one's top-ups.
  const mine = await newWallet();
  const created = await cardTopup(mine, 2);
  const otherEnv = await newEnvironment(ctx.pool, 'card-topups-other', []);
  const foreign = await request(ctx.app).get(`/wallet/topups/${created.body.topup.id}/`).set({ 'X-Wallet-Signature': otherEnv.secret }).query({ env_id: otherEnv.envId });
  expect(foreign.status).toBe(404);
});

test('an event for an unknown PaymentIntent is acknowledged and routed nowhere', async () => {
  const res = await postEvent(ctx.app, ctx.stripe, paymentIntentEvent('payment_intent.succeeded', 'pi_unknown_to_us', 100));
  expect(res.body).toEqual({ received: true, duplicate: false, routed: 0 });
});
