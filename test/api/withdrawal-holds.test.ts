/**
 * Issue 10, part 3 "Holds can be stranded", against the real stack (Postgres, Temporal dev
 * server, the worker process, stripe-mock): Temporal cancellation releases the hold before
 * the transfer and is ignored after it; a terminated workflow's hold is found by the hold
 * sweeper (its Temporal Schedule, or its workflow run directly) and released or marked
 * needs_attention; a payout timeout and a payout.failed after payout.paid end as
 * needs_attention; the refresh link is bounded per withdrawal and /stripe/* per address.
 */
import { randomUUID } from 'node:crypto';
import { CancelledFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import request from 'supertest';
import { runAdmin } from '../../src/admin/commands';
import { withdrawalsTowardLimit } from '../../src/db/queries/withdrawals';
import { createApp } from '../../src/api/app';
import { HOLD_SWEEPER_SCHEDULE_ID } from '../../src/worker/hold-sweeper-schedule';
import { createSweeperActivities, describeWithClient } from '../../src/activities/hold-sweeper';
import type { HoldSweepResult } from '../../src/workflows/hold-sweeper';
import { expectLedgerExact, newEnvironment, seedBody, startTestContext, type TestContext } from '../helpers/stack';
import { recordHistory } from '../helpers/record-history';
import { withdrawalClient } from '../helpers/withdrawal-client';
import { accountUpdated, payoutEvent, postEvent } from '../helpers/stripe-events';

let ctx: TestContext;
let timeoutCtx: TestContext; // payouts get no outcome within 1 s
let limitedCtx: TestContext; // refresh bound 2, /stripe/connect 5 per minute per address
let env: { envId: string; secret: string };

beforeAll(async () => {
  ctx = await startTestContext();
  timeoutCtx = await startTestContext({ withdrawWaits: { payoutPollIntervalMs: 300, payoutTimeoutMs: 1_000 } });
  limitedCtx = await startTestContext({ withdrawWaits: { maxLinkRefreshes: 2 } });
  env = await newEnvironment(ctx.pool, 'withdrawal holds');
});
afterAll(async () => {
  await ctx.close();
  await timeoutCtx.close();
  await limitedCtx.close();
});
afterEach(async () => expectLedgerExact(ctx.pool));

const { auth, funded, withdraw, wallet, getWithdrawal, until } = withdrawalClient(() => ctx, () => env, 'holds-user');

const steps = (w: Record<string, any>) => (w.timeline as { step: string }[]).map((e) => e.step);

async function started(u: { userId: string; walletId: string }, amount: number, app = ctx.app) {
  const res = await withdraw(u, amount, app);
  expect(res.status).toBe(200);
  const id = res.body.withdrawal_id as string;
  const w = await until(id, (b) => b.stripe_account_id !== null);
  return { ...w, workflowId: res.headers['workflow-id'] as string };
}

/** A withdrawal whose transfer and payout exist (money has left the platform). */
async function moving(u: { userId: string; walletId: string }, amount: number, app = ctx.app) {
  const w = await started(u, amount, app);
  const ready = await postEvent(ctx.app, ctx.stripe, accountUpdated(w.stripe_account_id, env.envId, u.userId));
  expect(ready.body).toMatchObject({ routed: 1 });
  const m = await until(w.id, (b) => b.stripe_payout_id !== null);
  return { ...m, workflowId: w.workflowId };
}

async function eventsOf(withdrawalId: string): Promise<string[]> {
  const { rows } = await ctx.pool.query(`select type from webhook_events where env_id = $1 and payload like $2 order by id`, [
    env.envId,
    `%"id":"${withdrawalId}"%`,
  ]);
  return rows.map((r) => r.type as string);
}

/** `npm run admin -- withdrawals resolve …` in-process: exit code and what it printed. */
async function resolve(id: string, outcome: string) {
  const out: string[] = [];
  const code = await runAdmin(['withdrawals', 'resolve', id, '--outcome', outcome, '--note', 'checked in the Stripe dashboard'], {
    pool: () => ctx.pool,
    temporal: async () => ctx.client,
    out: (l) => out.push(l),
    err: (l) => out.push(l),
  });
  return { code, out: out.join('\n') };
}

async function runSweeper(workflowId = `hold-sweeper-test-${randomUUID()}`): Promise<HoldSweepResult> {
  return ctx.client.workflow.execute('holdSweeper', { taskQueue: ctx.stack.taskQueue, workflowId, args: [{}] });
}

test('Temporal cancel (the runbook) before the transfer releases the hold and ends canceled', async () => {
  const u = await funded(100);
  const w = await started(u, 60);
  expect(await wallet(u)).toMatchObject({ balance: 40, held: 60 });
  const handle = ctx.client.workflow.getHandle(w.workflowId);
  await handle.cancel(); // what the Web UI's Cancel and `temporal workflow cancel` do
  const err = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  expect((await handle.describe()).status.name).toBe('CANCELLED');
  const done = await until(w.id, (b) => b.status === 'canceled');
  expect(done.timeline.at(-1)).toMatchObject({ step: 'funds_released', detail: expect.objectContaining({ reason: 'workflow_canceled' }) });
  expect(await wallet(u)).toMatchObject({ balance: 100, held: 0 });
  expect(await eventsOf(w.id)).toEqual(['withdrawal.awaiting_onboarding', 'withdrawal.failed']);
  recordHistory('withdraw-temporal-canceled', w.workflowId);
});

test('Temporal cancel after the transfer is ignored, said in the timeline, and the saga ends paid', async () => {
  const u = await funded(100);
  const w = await moving(u, 30);
  const handle = ctx.client.workflow.getHandle(w.workflowId);
  await handle.cancel();
  await until(w.id, (b) => steps(b).includes('cancel_ignored'));
  await postEvent(ctx.app, ctx.stripe, payoutEvent('payout.paid', w.stripe_payout_id, w.stripe_account_id, env.envId, w.id));
  const done = await until(w.id, (b) => b.status === 'paid');
  expect(steps(done).slice(-3)).toEqual(['cancel_ignored', 'payout_paid', 'paid_out']);
  expect((await handle.result()).status).toBe('paid');
  expect((await handle.describe()).status.name).toBe('COMPLETED');
  expect(await wallet(u)).toMatchObject({ balance: 70, held: 0 });
  recordHistory('withdraw-cancel-ignored', w.workflowId);
});

test('a terminated workflow before the transfer: the hold sweeper schedule releases the hold', async () => {
  const schedule = await ctx.client.schedule.getHandle(HOLD_SWEEPER_SCHEDULE_ID).describe();
  expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'holdSweeper' });

  const u = await funded(50);
  const w = await started(u, 50);
  const handle = ctx.client.workflow.getHandle(w.workflowId);
  await handle.terminate('test: an operator terminated it'); // skips every compensation
  expect((await handle.describe()).status.name).toBe('TERMINATED');
  expect(await wallet(u)).toMatchObject({ balance: 0, held: 50 }); // stranded

  await ctx.client.schedule.getHandle(HOLD_SWEEPER_SCHEDULE_ID).trigger();
  const done = await until(w.id, (b) => b.status !== 'awaiting_onboarding', 30_000);
  expect(done).toMatchObject({ status: 'failed', failure_code: 'workflow_closed' });
  expect(done.timeline.at(-1)).toMatchObject({
    step: 'funds_released',
    detail: expect.objectContaining({ reason: 'workflow_closed', workflow_status: 'terminated' }),
  });
  expect(await wallet(u)).toMatchObject({ balance: 50, held: 0 });
  expect(await eventsOf(w.id)).toEqual(['withdrawal.awaiting_onboarding', 'withdrawal.failed']);
  await expectLedgerExact(ctx.pool);
  // Swept once: another run finds nothing more to do for it.
  const again = await runSweeper();
  expect(again.released).not.toContain(w.id);
});

test('a stale sweep listing never releases the hold of a workflow that runs (the status is read again under the row lock)', async () => {
  const u = await funded(40);
  const w = await started(u, 40);
  const sweeper = createSweeperActivities({ pool: ctx.pool, describeWorkflow: (id) => describeWithClient(ctx.client, id) });
  // What a listing made before a reset (or any stale page) hands the sweep step: "terminated".
  const done = await sweeper.sweepStrandedHold({ withdrawalId: w.id, workflowId: w.workflowId, workflowStatus: 'TERMINATED' });
  expect(done).toBe('nothing');
  expect((await getWithdrawal(w.id)).body.status).toBe('awaiting_onboarding');
  expect(await wallet(u)).toMatchObject({ balance: 0, held: 40 });
  // The running workflow still owns its hold: its own cancel releases it once.
  await ctx.client.workflow.getHandle(w.workflowId).cancel();
  await until(w.id, (b) => b.status === 'canceled');
  expect(await wallet(u)).toMatchObject({ balance: 40, held: 0 });
});

test('a terminated workflow after the transfer: the sweeper marks it needs_attention (event, metric, console), the hold stays', async () => {
  const u = await funded(80);
  const w = await moving(u, 80);
  await ctx.client.workflow.getHandle(w.workflowId).terminate('test');
  const sweepId = `hold-sweeper-test-${randomUUID()}`;
  const result = await runSweeper(sweepId);
  recordHistory('hold-sweeper', sweepId);
  expect(result.needsAttention).toContain(w.id);
  expect(result.released).not.toContain(w.id);
  const marked = await getWithdrawal(w.id);
  expect(marked.body).toMatchObject({ status: 'needs_attention', failure_code: 'workflow_closed' });
  expect(marked.body.timeline.at(-1)).toMatchObject({
    step: 'needs_attention',
    detail: expect.objectContaining({ reason: 'workflow_closed', workflow_status: 'terminated', status_before: 'processing' }),
  });
  // Money may be at Stripe or the bank: neither released nor settled; the books stay exact.
  expect(await wallet(u)).toMatchObject({ balance: 0, held: 80 });
  await expectLedgerExact(ctx.pool);
  expect(await eventsOf(w.id)).toEqual(['withdrawal.awaiting_onboarding', 'withdrawal.needs_attention']);
  const metrics = await fetch(ctx.stack.workerMetricsUrl).then((r) => r.text());
  expect(metrics).toMatch(/paynocchio_withdrawals_needs_attention_total\{reason="workflow_closed"\} [1-9]/);
  expect(metrics).toMatch(/paynocchio_stranded_holds_total\{action="needs_attention"\} [1-9]/);

  const token = 'operator-token-for-holds-test';
  const consoleApp = createApp({ pool: ctx.pool, temporal: { client: ctx.client, taskQueue: ctx.stack.taskQueue, searchAttributes: true, syncTimeoutMs: 30_000 }, ops: { operatorToken: token } });
  const page = await request(consoleApp).get('/console').query({ env: env.envId }).set('Authorization', `Bearer ${token}`);
  expect(page.status).toBe(200);
  const section = page.text.slice(page.text.indexOf('id="needs-attention"'));
  expect(section).toContain(`<td>${w.id}</td>`);
  expect(section.slice(0, section.indexOf('</table>'))).toContain('workflow_closed');

  // The operator checked Stripe: the transfer came back. The admin CLI releases the hold.
  expect(await resolve(w.id, 'released')).toMatchObject({ code: 0 });
  const resolved = await getWithdrawal(w.id);
  expect(resolved.body).toMatchObject({ status: 'failed' });
  expect(resolved.body.timeline.at(-1)).toMatchObject({ step: 'resolved_by_operator', detail: expect.objectContaining({ outcome: 'released' }) });
  expect(await wallet(u)).toMatchObject({ balance: 80, held: 0 });
  expect(await resolve(w.id, 'released')).toMatchObject({ code: 1, out: expect.stringContaining('not needs_attention') });
});

test('no payout outcome within payoutTimeoutMs: needs_attention with its hold, the merchant told, the workflow completed', async () => {
  const u = await funded(40);
  // stripe-mock's payout stays in_transit: neither a webhook nor a poll gives an outcome.
  const w = await moving(u, 40, timeoutCtx.app);
  const done = await until(w.id, (b) => b.status === 'needs_attention', 20_000);
  expect(done).toMatchObject({ failure_code: 'payout_timeout' });
  expect(done.timeline.at(-1)).toMatchObject({ step: 'needs_attention', detail: expect.objectContaining({ reason: 'payout_timed_out' }) });
  const result = await ctx.client.workflow.getHandle(w.workflowId).result();
  expect(result.status).toBe('needs_attention');
  expect(await wallet(u)).toMatchObject({ balance: 0, held: 40 });
  expect(await eventsOf(w.id)).toEqual(['withdrawal.awaiting_onboarding', 'withdrawal.needs_attention']);
  // The sweeper leaves it alone: its workflow completed.
  expect((await runSweeper()).needsAttention).not.toContain(w.id);
  recordHistory('withdraw-payout-timeout', w.workflowId);
  // payout.paid comes after all, once the workflow has stopped listening: recorded in the
  // timeline for the operator (not dropped), and the hold cannot be released any more.
  const late = await postEvent(ctx.app, ctx.stripe, payoutEvent('payout.paid', w.stripe_payout_id, w.stripe_account_id, env.envId, w.id));
  expect(late.body).toMatchObject({ duplicate: false, routed: 1 });
  const noted = await getWithdrawal(w.id);
  expect(noted.body.status).toBe('needs_attention');
  expect(noted.body.timeline.at(-1)).toMatchObject({
    step: 'late_payout_outcome',
    detail: expect.objectContaining({ stripe_event: 'payout.paid', status: 'paid', stripe_payout_id: w.stripe_payout_id }),
  });
  expect(await resolve(w.id, 'released')).toMatchObject({ code: 1, out: expect.stringContaining('paid_out') });
  expect(await wallet(u)).toMatchObject({ balance: 0, held: 40 });
  // Stripe's dashboard shows the payout reached the bank: the operator settles the hold.
  expect(await resolve(w.id, 'nonsense')).toMatchObject({ code: 2 });
  // acknowledged (nothing posted) is for a withdrawal with no hold left: refused while it holds money.
  expect(await resolve(w.id, 'acknowledged')).toMatchObject({ code: 1, out: expect.stringContaining('released or paid_out') });
  expect(await wallet(u)).toMatchObject({ balance: 0, held: 40 });
  expect(await resolve(w.id, 'paid_out')).toMatchObject({ code: 0 });
  expect(await wallet(u)).toMatchObject({ balance: 0, held: 0 });
  expect((await getWithdrawal(w.id)).body.status).toBe('paid');
});

test('payout.failed after payout.paid is recorded and the withdrawal needs attention, not dropped', async () => {
  const u = await funded(25);
  const w = await moving(u, 25);
  await postEvent(ctx.app, ctx.stripe, payoutEvent('payout.paid', w.stripe_payout_id, w.stripe_account_id, env.envId, w.id));
  await until(w.id, (b) => b.status === 'paid');
  await ctx.client.workflow.getHandle(w.workflowId).result(); // the workflow has ended
  const late = await postEvent(ctx.app, ctx.stripe, payoutEvent('payout.failed', w.stripe_payout_id, w.stripe_account_id, env.envId, w.id));
  expect(late.status).toBe(200);
  expect(late.body).toMatchObject({ duplicate: false, routed: 1 });
  const marked = await getWithdrawal(w.id);
  expect(marked.body).toMatchObject({ status: 'needs_attention', failure_code: 'account_closed' });
  expect(marked.body.timeline.at(-1)).toMatchObject({
    step: 'needs_attention',
    detail: expect.objectContaining({ reason: 'payout_failed_after_paid', status_before: 'paid', stripe_event: 'payout.failed' }),
  });
  // Settled stays settled: the money left the platform (it is in the connected account now).
  expect(await wallet(u)).toMatchObject({ balance: 0, held: 0 });
  expect(await eventsOf(w.id)).toEqual(['withdrawal.awaiting_onboarding', 'withdrawal.paid', 'withdrawal.needs_attention']);
  // Nothing is held any more: the admin CLI refuses to post anything for it.
  expect(await resolve(w.id, 'released')).toMatchObject({ code: 1, out: expect.stringContaining('no hold left') });
});

test('payout.paid after the hold was released (reversed, or resolved as released) is recorded and needs attention', async () => {
  const u = await funded(20);
  const w = await moving(u, 20);
  await postEvent(ctx.app, ctx.stripe, payoutEvent('payout.failed', w.stripe_payout_id, w.stripe_account_id, env.envId, w.id));
  await until(w.id, (b) => b.status === 'failed');
  await ctx.client.workflow.getHandle(w.workflowId).result(); // the workflow has ended
  expect(await wallet(u)).toMatchObject({ balance: 20, held: 0 });
  const late = await postEvent(ctx.app, ctx.stripe, payoutEvent('payout.paid', w.stripe_payout_id, w.stripe_account_id, env.envId, w.id));
  expect(late.body).toMatchObject({ duplicate: false, routed: 1 });
  const marked = await getWithdrawal(w.id);
  expect(marked.body).toMatchObject({ status: 'needs_attention', failure_code: 'payout_paid_after_release' });
  expect(steps(marked.body).slice(-2)).toEqual(['late_payout_outcome', 'needs_attention']);
  expect(marked.body.timeline.at(-1)).toMatchObject({ detail: expect.objectContaining({ reason: 'payout_paid_after_release', status_before: 'failed' }) });
  // The ledger is not changed by an event: the release stands, and nothing is left to resolve.
  expect(await wallet(u)).toMatchObject({ balance: 20, held: 0 });
  expect(await eventsOf(w.id)).toEqual(['withdrawal.awaiting_onboarding', 'withdrawal.failed', 'withdrawal.needs_attention']);
  expect(await resolve(w.id, 'released')).toMatchObject({ code: 1, out: expect.stringContaining('no hold left') });
});

/** What counts toward the environment's withdrawal cap now (withdrawalsTowardLimit). */
async function towardLimit(): Promise<bigint> {
  const client = await ctx.pool.connect();
  try {
    return await withdrawalsTowardLimit(client, env.envId, 'USD');
  } finally {
    client.release();
  }
}

async function postingsOf(walletId: string): Promise<number> {
  const { rows } = await ctx.pool.query('select count(*)::int as n from ledger_postings where wallet_id = $1', [walletId]);
  return rows[0].n as number;
}

test('resolve --outcome acknowledged ends a payout_failed_after_paid withdrawal as paid: no posting, timeline, withdrawal.paid', async () => {
  const u = await funded(26);
  const w = await moving(u, 26);
  await postEvent(ctx.app, ctx.stripe, payoutEvent('payout.paid', w.stripe_payout_id, w.stripe_account_id, env.envId, w.id));
  await until(w.id, (b) => b.status === 'paid');
  await ctx.client.workflow.getHandle(w.workflowId).result();
  await postEvent(ctx.app, ctx.stripe, payoutEvent('payout.failed', w.stripe_payout_id, w.stripe_account_id, env.envId, w.id));
  expect((await getWithdrawal(w.id)).body.status).toBe('needs_attention');
  const countedBefore = await towardLimit();
  const postingsBefore = await postingsOf(u.walletId);
  const { rows: before } = await ctx.pool.query('select count(*)::int as n from ledger_transactions where env_id = $1', [env.envId]);
  // The operator paid the user out again from the connected account: the ledger's settle stands.
  expect(await resolve(w.id, 'paid_out')).toMatchObject({ code: 1, out: expect.stringContaining('acknowledged') });
  expect(await resolve(w.id, 'acknowledged')).toMatchObject({ code: 0, out: expect.stringContaining('"status":"paid"') });
  const done = await getWithdrawal(w.id);
  expect(done.body.status).toBe('paid');
  expect(done.body.timeline.at(-1)).toMatchObject({
    step: 'resolved_by_operator',
    detail: expect.objectContaining({ outcome: 'acknowledged', note: 'checked in the Stripe dashboard', ledger: 'settled' }),
  });
  const { rows: after } = await ctx.pool.query('select count(*)::int as n from ledger_transactions where env_id = $1', [env.envId]);
  expect(after[0].n).toBe(before[0].n);
  expect(await postingsOf(u.walletId)).toBe(postingsBefore);
  expect(await wallet(u)).toMatchObject({ balance: 0, held: 0 });
  expect(await eventsOf(w.id)).toEqual(['withdrawal.awaiting_onboarding', 'withdrawal.paid', 'withdrawal.needs_attention', 'withdrawal.paid']);
  // Paid counts toward the cap for 24 h from its settle (minutes ago here), as before the acknowledgement.
  expect(await towardLimit()).toBe(countedBefore);
  // Ended: a second resolve is refused.
  expect(await resolve(w.id, 'acknowledged')).toMatchObject({ code: 1, out: expect.stringContaining('not needs_attention') });
});

test('resolve --outcome acknowledged ends a payout_paid_after_release withdrawal as failed and it stops counting toward the cap', async () => {
  const u = await funded(21);
  const w = await moving(u, 21);
  await postEvent(ctx.app, ctx.stripe, payoutEvent('payout.failed', w.stripe_payout_id, w.stripe_account_id, env.envId, w.id));
  await until(w.id, (b) => b.status === 'failed');
  await ctx.client.workflow.getHandle(w.workflowId).result();
  const countedFailed = await towardLimit();
  await postEvent(ctx.app, ctx.stripe, payoutEvent('payout.paid', w.stripe_payout_id, w.stripe_account_id, env.envId, w.id));
  expect((await getWithdrawal(w.id)).body.status).toBe('needs_attention');
  // needs_attention counts toward the cap until an operator ends it.
  const { rows: amt } = await ctx.pool.query('select amount::text as amount, currency from withdrawals where id = $1', [w.id]);
  expect(amt[0].currency).toBe('USD');
  expect(await towardLimit()).toBe(countedFailed + BigInt(amt[0].amount));
  const postingsBefore = await postingsOf(u.walletId);
  expect(await resolve(w.id, 'paid_out')).toMatchObject({ code: 1, out: expect.stringContaining('no hold left') });
  expect(await resolve(w.id, 'acknowledged')).toMatchObject({ code: 0, out: expect.stringContaining('"status":"failed"') });
  const done = await getWithdrawal(w.id);
  expect(done.body.status).toBe('failed');
  expect(done.body.timeline.at(-1)).toMatchObject({
    step: 'resolved_by_operator',
    detail: expect.objectContaining({ outcome: 'acknowledged', ledger: 'released' }),
  });
  expect(await postingsOf(u.walletId)).toBe(postingsBefore);
  expect(await wallet(u)).toMatchObject({ balance: 21, held: 0 });
  expect(await eventsOf(w.id)).toEqual(['withdrawal.awaiting_onboarding', 'withdrawal.failed', 'withdrawal.needs_attention', 'withdrawal.failed']);
  expect(await towardLimit()).toBe(countedFailed);
});

test('the refresh link is bounded per withdrawal: 409 past the limit, no Stripe call, no workflow update', async () => {
  const u = await funded(10);
  const w = await started(u, 5, limitedCtx.app);
  const { rows } = await ctx.pool.query('select link_token from withdrawals where id = $1', [w.id]);
  const refresh = () => request(limitedCtx.app).get(`/stripe/connect/refresh/${w.id}`).query({ token: rows[0].link_token });
  expect((await refresh()).status).toBe(302);
  expect((await refresh()).status).toBe(302);
  const historyBefore = (await ctx.client.workflow.getHandle(w.workflowId).fetchHistory()).events!.length;
  const third = await refresh();
  expect(third.status).toBe(409);
  expect(third.body.error).toMatchObject({ code: 'conflict', details: { refreshes: 2, limit: 2 } });
  expect(third.body.error.message).toContain('start a new withdrawal');
  expect((await ctx.client.workflow.getHandle(w.workflowId).fetchHistory()).events!.length).toBe(historyBefore);
  const done = await until(w.id, (b) => steps(b).filter((s) => s === 'onboarding_link_refreshed').length === 2);
  expect(done.status).toBe('awaiting_onboarding');
  await request(ctx.app).post(`/wallet/withdrawals/${w.id}/cancel/`).set(auth()).send(seedBody({ env_id: Number(env.envId) }));
});

test('/stripe/* is rate limited per client address (429 with Retry-After)', async () => {
  const app = createApp({
    pool: ctx.pool,
    temporal: { client: ctx.client, taskQueue: ctx.stack.taskQueue, searchAttributes: true, syncTimeoutMs: 30_000 },
    stripeRateLimit: { connectPerMinute: 3, webhookPerSecond: 2 },
  });
  const codes: number[] = [];
  for (let i = 0; i < 5; i++) codes.push((await request(app).get('/stripe/connect/return/1').query({ token: 'x'.repeat(32) })).status);
  expect(codes).toEqual([404, 404, 404, 429, 429]);
  const limited = await request(app).get('/stripe/connect/refresh/1').query({ token: 'x'.repeat(32) });
  expect(limited.status).toBe(429);
  expect(limited.body.error.code).toBe('rate_limited');
  expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  // Sent together, so they fall in one 1-second window: two pass (503 here: no Stripe deps), the rest are refused.
  const hooks = await Promise.all([1, 2, 3, 4].map(() => request(app).post('/stripe/webhook').send('{}')));
  expect(hooks.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(2);
});
