/**
 * Withdrawals against the real stack (Postgres, Temporal, the worker, stripe-mock):
 * the URL comes back at once, the amount is held, signed webhooks drive the workflow
 * to paid or failed, cancel and expiry release the hold, and the ledger stays exact.
 */
import request from 'supertest';
import { connectedAccountKey, createStripeActivities } from '../../src/activities/stripe';
import { expectLedgerExact, newEnvironment, seedBody, startTestContext, type TestContext } from '../helpers/stack';
import { recordHistory } from '../helpers/record-history';
import { withdrawalClient } from '../helpers/withdrawal-client';
import { accountUpdated, payoutEvent, postEvent } from '../helpers/stripe-events';

let ctx: TestContext;
let shortCtx: TestContext; // an app whose withdrawals expire after 1.5 s of onboarding
let env: { envId: string; secret: string };

beforeAll(async () => {
  ctx = await startTestContext();
  shortCtx = await startTestContext({ withdrawWaits: { onboardingTimeoutMs: 1_500 } });
  env = await newEnvironment(ctx.pool, 'withdrawals');
});
afterAll(async () => {
  await ctx.close();
  await shortCtx.close();
});
afterEach(async () => expectLedgerExact(ctx.pool));

const { auth, funded, withdraw, wallet, getWithdrawal, until, nextUserSeq } = withdrawalClient(() => ctx, () => env, 'user');

async function startReadyPayout(u: { userId: string; walletId: string }, amount: number) {
  const started = await withdraw(u, amount);
  expect(started.status).toBe(200);
  const id = started.body.withdrawal_id as string;
  const w = await until(id, (b) => b.stripe_account_id !== null);
  const ready = await postEvent(ctx.app, ctx.stripe, accountUpdated(w.stripe_account_id, env.envId, u.userId));
  expect(ready.status).toBe(200);
  expect(ready.body).toMatchObject({ received: true, duplicate: false, routed: 1 });
  const moving = await until(id, (b) => b.stripe_payout_id !== null);
  return { ...moving, workflowId: started.headers['workflow-id'] as string };
}

test('POST /wallet/withdraw answers at once with the onboarding URL and holds the amount', async () => {
  const u = await funded(500);
  const res = await withdraw(u, 123.12);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ url: expect.stringMatching(/^https:\/\//), withdrawal_id: expect.stringMatching(/^[0-9]+$/), status: 'awaiting_onboarding', fee: 0 });
  expect(res.headers['workflow-id']).toMatch(/^withdraw-/);
  expect(await wallet(u)).toMatchObject({ balance: 376.88, held: 123.12 });

  const got = await getWithdrawal(res.body.withdrawal_id);
  expect(got.status).toBe(200);
  expect(got.body).toMatchObject({ id: res.body.withdrawal_id, amount: 123.12, currency: 'USD', status: 'awaiting_onboarding', wallet_id: u.walletId });
  expect(got.body.timeline.map((e: { step: string }) => e.step)).toEqual(['funds_held', 'account', 'onboarding_link_created']);

  const list = await request(ctx.app).get(`/wallet/${env.envId}/withdrawals/${u.userId}`).set(auth());
  expect(list.status).toBe(200);
  expect(list.body.withdrawals.map((w: { id: string }) => w.id)).toEqual([res.body.withdrawal_id]);
});

test('held money cannot be spent, and a withdrawal larger than the balance is refused', async () => {
  const u = await funded(100);
  expect((await withdraw(u, 80)).status).toBe(200);
  const pay = await request(ctx.app)
    .post('/wallet/payment/')
    .set(auth())
    .send(seedBody({ env_id: Number(env.envId), user_id: u.userId, wallet_id: Number(u.walletId), amount: 30, product_id: 'p' }));
  expect(pay.status).toBe(422);
  expect(pay.body.error.code).toBe('insufficient_funds');
  const tooMuch = await withdraw(u, 30);
  expect(tooMuch.status).toBe(422);
  expect(tooMuch.body.error.code).toBe('insufficient_funds');
  expect(await wallet(u)).toMatchObject({ balance: 20, held: 80 });
});

test('bad input is a clear 4xx', async () => {
  const u = await funded(10);
  expect((await withdraw(u, '-1')).status).toBe(422);
  expect((await withdraw(u, 1.234)).body.error.code).toBe('invalid_request');
  expect((await request(ctx.app).post('/wallet/withdraw/').set(auth()).send('nope')).status).toBe(400);
  expect((await getWithdrawal('999999999')).status).toBe(404);
  expect((await request(ctx.app).get('/wallet/withdrawals/1/').set(auth())).status).toBe(422); // env_id missing
});

test('signed webhooks drive a withdrawal to paid: transfer, payout, settle; a redelivery has no effect', async () => {
  const u = await funded(300);
  const w = await startReadyPayout(u, 200);
  expect(w.status).toBe('processing');
  expect(w.stripe_transfer_id).toMatch(/^tr_/);

  const paid = payoutEvent('payout.paid', w.stripe_payout_id, w.stripe_account_id, env.envId, w.id);
  expect((await postEvent(ctx.app, ctx.stripe, paid)).body).toMatchObject({ duplicate: false, routed: 1 });
  const done = await until(w.id, (b) => b.status === 'paid');
  expect(done.timeline.map((e: { step: string }) => e.step)).toEqual([
    'funds_held', 'account', 'onboarding_link_created', 'onboarding_complete', 'processing',
    'transfer_created', 'payout_created', 'payout_paid', 'paid_out',
  ]);
  expect((await postEvent(ctx.app, ctx.stripe, paid)).body).toMatchObject({ received: true, duplicate: true });
  await ctx.client.workflow.getHandle(w.workflowId).result();
  recordHistory('withdraw-paid', w.workflowId);
  expect(await wallet(u)).toMatchObject({ balance: 100, held: 0 });
  const { rows } = await ctx.pool.query(
    `select sum(amount)::text as paid from ledger_postings where env_id = $1 and account = 'paid_out'`,
    [env.envId],
  );
  expect(rows[0].paid).toBe('20000');
  // Merchant events, written with the changes they report.
  const events = await ctx.pool.query(
    `select type, payload from webhook_events where env_id = $1 and payload like $2 order by id`,
    [env.envId, `%"id":"${w.id}"%`],
  );
  expect(events.rows.map((e) => e.type)).toEqual(['withdrawal.awaiting_onboarding', 'withdrawal.paid']);
  expect(JSON.parse(events.rows[1].payload).data.withdrawal).toMatchObject({ id: w.id, status: 'paid', amount: 200 });
});

test('payout.failed reverses the transfer and releases the hold', async () => {
  const u = await funded(50);
  const w = await startReadyPayout(u, 50);
  const failed = payoutEvent('payout.failed', w.stripe_payout_id, w.stripe_account_id, env.envId, w.id);
  expect((await postEvent(ctx.app, ctx.stripe, failed)).status).toBe(200);
  const done = await until(w.id, (b) => b.status === 'failed');
  expect(done).toMatchObject({ failure_code: 'account_closed' });
  expect(done.timeline.map((e: { step: string }) => e.step)).toContain('transfer_reversed');
  await ctx.client.workflow.getHandle(w.workflowId).result();
  recordHistory('withdraw-payout-failed', w.workflowId);
  expect(await wallet(u)).toMatchObject({ balance: 50, held: 0 });
  const events = await ctx.pool.query(`select type from webhook_events where env_id = $1 and payload like $2 order by id`, [
    env.envId,
    `%"id":"${w.id}"%`,
  ]);
  expect(events.rows.map((e) => e.type)).toEqual(['withdrawal.awaiting_onboarding', 'withdrawal.failed']);
});

test('a bad or stale signature is a 400 and changes nothing', async () => {
  const u = await funded(20);
  const started = await withdraw(u, 20);
  const w = await until(started.body.withdrawal_id, (b) => b.stripe_account_id !== null);
  const event = accountUpdated(w.stripe_account_id, env.envId, u.userId);
  const forged = await postEvent(ctx.app, ctx.stripe, event, 'whsec_wrong');
  expect(forged.status).toBe(400);
  expect(forged.body.error.code).toBe('invalid_signature');
  const unsigned = await request(ctx.app).post('/stripe/webhook').send(JSON.stringify(event));
  expect(unsigned.status).toBe(400);
  const payload = JSON.stringify(event);
  const stale = ctx.stripe.webhooks.generateTestHeaderString({
    payload,
    secret: 'whsec_paynocchio_dev_only_0000000000000000',
    timestamp: Math.floor(Date.now() / 1000) - 3600,
  });
  expect((await request(ctx.app).post('/stripe/webhook').set('Stripe-Signature', stale).send(payload)).status).toBe(400);
  expect((await getWithdrawal(w.id)).body.status).toBe('awaiting_onboarding');
  const { rowCount } = await ctx.pool.query('select 1 from stripe_events where id = $1', [event.id]);
  expect(rowCount).toBe(0);
});

test('cancel while awaiting onboarding releases the hold; cancel after money left is a 409', async () => {
  const u = await funded(100);
  const started = await withdraw(u, 40);
  const id = started.body.withdrawal_id;
  const cancel = () => request(ctx.app).post(`/wallet/withdrawals/${id}/cancel/`).set(auth()).send(seedBody({ env_id: Number(env.envId) }));
  const res = await cancel();
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ id, status: 'canceled' });
  expect((await cancel()).status).toBe(200); // again: still canceled
  expect(await wallet(u)).toMatchObject({ balance: 100, held: 0 });

  const moving = await startReadyPayout(u, 10);
  const late = await request(ctx.app).post(`/wallet/withdrawals/${moving.id}/cancel/`).set(auth()).send(seedBody({ env_id: Number(env.envId) }));
  expect(late.status).toBe(409);
  expect(late.body.error.code).toBe('conflict');
  await postEvent(ctx.app, ctx.stripe, payoutEvent('payout.paid', moving.stripe_payout_id, moving.stripe_account_id, env.envId, moving.id));
  await until(moving.id, (b) => b.status === 'paid');
});

test('onboarding not finished in time: the withdrawal expires and the hold is released', async () => {
  const u = await funded(30);
  const res = await withdraw(u, 30, shortCtx.app);
  expect(res.status).toBe(200);
  const done = await until(res.body.withdrawal_id, (b) => b.status === 'expired', 15_000);
  expect(done.timeline.at(-1)).toMatchObject({ step: 'funds_released', detail: expect.objectContaining({ reason: 'onboarding_timeout' }) });
  expect(await wallet(u)).toMatchObject({ balance: 30, held: 0 });
});

test('the return URL re-reads the account; the refresh URL redirects to a fresh link; both need the token', async () => {
  const u = await funded(10);
  const res = await withdraw(u, 5);
  const id = res.body.withdrawal_id;
  await until(id, (b) => b.stripe_account_id !== null);
  const { rows } = await ctx.pool.query('select link_token from withdrawals where id = $1', [id]);
  const token = rows[0].link_token as string;

  const back = await request(ctx.app).get(`/stripe/connect/return/${id}`).query({ token });
  expect(back.status).toBe(200);
  // stripe-mock's account fixture has payouts disabled: the withdrawal keeps waiting.
  expect(back.body).toMatchObject({ withdrawal_id: id, payouts_enabled: false, status: 'awaiting_onboarding' });

  const refresh = await request(ctx.app).get(`/stripe/connect/refresh/${id}`).query({ token });
  expect(refresh.status).toBe(302);
  expect(refresh.headers.location).toMatch(/^https:\/\//);
  expect((await request(ctx.app).get(`/stripe/connect/refresh/${id}`).query({ token: 'x'.repeat(32) })).status).toBe(404);
  expect((await request(ctx.app).get(`/stripe/connect/return/${id}`)).status).toBe(422);

  const again = await until(id, (b) => b.timeline.some((e: { step: string }) => e.step === 'onboarding_link_refreshed'));
  expect(again.status).toBe('awaiting_onboarding');
});

test('another environment cannot read or cancel the withdrawal', async () => {
  const u = await funded(10);
  const res = await withdraw(u, 1);
  const other = await newEnvironment(ctx.pool, 'other');
  const read = await request(ctx.app).get(`/wallet/withdrawals/${res.body.withdrawal_id}/`).set({ 'X-Wallet-Signature': other.secret }).query({ env_id: other.envId });
  expect(read.status).toBe(404);
  const cross = await request(ctx.app).get(`/wallet/withdrawals/${res.body.withdrawal_id}/`).set({ 'X-Wallet-Signature': other.secret }).query({ env_id: env.envId });
  expect(cross.status).toBe(403);
});

test('the same Idempotency-Key answers the first response again, even after the withdrawal ended; nothing is held twice', async () => {
  const u = await funded(100);
  const key = `wd-${Date.now()}`;
  const send = () =>
    request(ctx.app)
      .post('/wallet/withdraw/')
      .set({ ...auth(), 'Idempotency-Key': key })
      .send(seedBody({ env_id: Number(env.envId), user_id: u.userId, wallet_id: Number(u.walletId), amount: 60 }));
  const first = await send();
  const again = await send();
  expect(again.status).toBe(200);
  expect(again.body).toEqual(first.body);
  expect(again.body).toMatchObject({ status: 'awaiting_onboarding', url: expect.any(String) });
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect(await wallet(u)).toMatchObject({ balance: 40, held: 60 });

  await request(ctx.app).post(`/wallet/withdrawals/${first.body.withdrawal_id}/cancel/`).set(auth()).send(seedBody({ env_id: Number(env.envId) }));
  await ctx.client.workflow.getHandle(first.headers['workflow-id'] as string).result(); // closed, not only canceled
  const after = await send();
  expect(after.status).toBe(200);
  expect(after.body).toEqual(first.body); // the first answer; GET /wallet/withdrawals/{id} tells the state now
  expect(after.headers['idempotent-replayed']).toBe('true');
  expect(await wallet(u)).toMatchObject({ balance: 100, held: 0 });
});

test('a user whose account is already onboarded gets the dashboard link and the money goes at once', async () => {
  const u = await funded(100);
  const first = await startReadyPayout(u, 10);
  await postEvent(ctx.app, ctx.stripe, payoutEvent('payout.paid', first.stripe_payout_id, first.stripe_account_id, env.envId, first.id));
  await until(first.id, (b) => b.status === 'paid');

  const second = await withdraw(u, 20);
  expect(second.status).toBe(200);
  expect(second.body).toMatchObject({ status: 'processing', url: expect.stringContaining('/express/') });
  const w = await until(second.body.withdrawal_id, (b) => b.stripe_payout_id !== null);
  expect(w.stripe_account_id).toBe(first.stripe_account_id);
  await postEvent(ctx.app, ctx.stripe, payoutEvent('payout.paid', w.stripe_payout_id, w.stripe_account_id, env.envId, w.id));
  await until(w.id, (b) => b.status === 'paid');
  expect(await wallet(u)).toMatchObject({ balance: 70, held: 0 });
  await ctx.client.workflow.getHandle(second.headers['workflow-id'] as string).result();
  recordHistory('withdraw-onboarded-account', second.headers['workflow-id'] as string);
});

test("two first withdrawals racing for one user ask Stripe for one account: the key names the user, and one row is kept", async () => {
  // The activity on the real client and stripe-mock; the spy only watches the calls go by.
  const activities = createStripeActivities({ pool: ctx.pool, stripe: ctx.stripe, publicUrl: 'http://localhost:3000' });
  const create = jest.spyOn(ctx.stripe.accounts, 'create');
  try {
    const userId = `racer-${nextUserSeq()}`;
    const [a, b] = await Promise.all([
      activities.ensureConnectedAccount({ envId: env.envId, userId }),
      activities.ensureConnectedAccount({ envId: env.envId, userId }),
    ]);
    const keys = create.mock.calls.map(([, options]) => (options as { idempotencyKey?: string } | undefined)?.idempotencyKey);
    expect(keys.length).toBeGreaterThanOrEqual(1);
    expect(new Set(keys)).toEqual(new Set([connectedAccountKey(env.envId, userId)]));
    // stripe-mock does not replay idempotent requests; Stripe would answer both with one
    // account. Either way the stored row decides, and both callers get it.
    expect(a.accountId).toBe(b.accountId);
    const { rows } = await ctx.pool.query('select count(*)::int as n from stripe_accounts where env_id = $1 and user_id = $2', [env.envId, userId]);
    expect(rows[0].n).toBe(1);
  } finally {
    create.mockRestore();
  }
});
