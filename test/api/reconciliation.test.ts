/**
 * Issue 13, part 2 "Continuous reconciliation with Stripe", against the real stack
 * (Postgres, Temporal dev server, the worker process, stripe-mock). Withdrawals are made
 * through the API up to their payout (stripe-mock creates the transfer and the payout).
 *
 * - With a fake Stripe list (stripe-mock keeps no state, so it cannot list what we
 *   created or leave one out), run by the reconcile workflow in an in-process worker:
 *   an amount changed at Stripe, a payout in the ledger that Stripe does not list, a
 *   Stripe transfer with no withdrawal and a payout paid at Stripe before its webhook
 *   are each found exactly once (run twice: still one mismatch, one event, one count
 *   each); after the late webhook the status mismatch is closed as resolved.
 * - With stripe-mock itself (the list endpoints' real shapes), `npm run admin -- reconcile`
 *   runs the workflow on the suite's worker: the environment's transfer and payout match,
 *   and its clean window is shown by `reconcile list` and the console.
 */
import { randomUUID } from 'node:crypto';
import { NativeConnection, Worker } from '@temporalio/worker';
import request from 'supertest';
import { createActivities } from '../../src/activities';
import type { PayoutLike, ReconcileStripe, StripePage, TransferLike } from '../../src/activities/reconcile';
import { runAdmin } from '../../src/admin/commands';
import { createApp } from '../../src/api/app';
import type { ReconcileSummary } from '../../src/domain/reconciliation';
import { registry } from '../../src/observability/metrics';
import { RECONCILE_SCHEDULE_ID, ensureReconcileSchedule } from '../../src/worker/reconcile-schedule';
import { recordHistory } from '../helpers/record-history';
import { quietTemporalRuntime } from '../helpers/runtime';
import { expectLedgerExact, newEnvironment, seedBody, startTestContext, type TestContext } from '../helpers/stack';
import { accountUpdated, payoutEvent, postEvent } from '../helpers/stripe-events';

let ctx: TestContext;
let userSeq = 0;
let worker: Worker;
let running: Promise<void>;
const fakeQueue = `reconcile-fake-${randomUUID()}`;

// ---- A fake of the Stripe list/retrieve calls reconciliation makes (same signatures). ----

function listPage<T extends { id: string; created: number }>(all: T[], p: { limit: number; starting_after?: string; created: { gte: number; lte: number } }): StripePage<T> {
  const inWindow = all.filter((o) => o.created >= p.created.gte && o.created <= p.created.lte);
  const start = p.starting_after ? inWindow.findIndex((o) => o.id === p.starting_after) + 1 : 0;
  const data = inWindow.slice(start, start + p.limit);
  return { data, has_more: start + p.limit < inWindow.length };
}

const notFound = (id: string) => Object.assign(new Error(`No such object: '${id}'`), { statusCode: 404, code: 'resource_missing' });

class FakeStripe implements ReconcileStripe {
  transferList: TransferLike[] = [];
  payoutLists = new Map<string, PayoutLike[]>();
  /** Payouts that exist at Stripe but whose list leaves them out: none; deleted ones are simply absent. */
  calls: string[] = [];
  transfers = {
    list: async (p: Parameters<ReconcileStripe['transfers']['list']>[0]) => {
      this.calls.push(`transfers.list ${p.starting_after ?? ''}`);
      return listPage(this.transferList, p);
    },
    listReversals: async () => ({ data: [], has_more: false }),
    retrieve: async (id: string) => {
      const t = this.transferList.find((x) => x.id === id);
      if (!t) throw notFound(id);
      return t;
    },
  };
  payouts = {
    list: async (p: Parameters<ReconcileStripe['payouts']['list']>[0], o: { stripeAccount: string }) => {
      this.calls.push(`payouts.list ${o.stripeAccount} ${p.starting_after ?? ''}`);
      return listPage(this.payoutLists.get(o.stripeAccount) ?? [], p);
    },
    retrieve: async (id: string, _p: Record<string, never>, o: { stripeAccount: string }) => {
      const found = (this.payoutLists.get(o.stripeAccount) ?? []).find((x) => x.id === id);
      if (!found) throw notFound(id);
      return found;
    },
  };
}
const fake = new FakeStripe();

beforeAll(async () => {
  quietTemporalRuntime();
  ctx = await startTestContext();
  const connection = await NativeConnection.connect({ address: ctx.stack.temporalAddress });
  worker = await Worker.create({
    connection,
    taskQueue: fakeQueue,
    workflowBundle: { codePath: ctx.stack.workflowBundlePath },
    activities: createActivities({ pool: ctx.pool, stripe: ctx.stripe, publicUrl: 'http://localhost:3000', reconcileStripe: fake }),
  });
  running = worker.run();
}, 60_000);
afterAll(async () => {
  worker?.shutdown();
  await running;
  await ctx.close();
});
afterEach(async () => expectLedgerExact(ctx.pool));

// ---- Withdrawals through the API (as test/api/withdrawal-holds.test.ts). ----

type Env = { envId: string; secret: string };

async function funded(env: Env, balance: number) {
  const userId = `recon-user-${++userSeq}`;
  const auth = { 'X-Wallet-Signature': env.secret };
  const created = await request(ctx.app).post('/wallet/').set(auth).send(seedBody({ env_id: Number(env.envId), user_id: userId }));
  const walletId = created.body.id as string;
  const topup = await request(ctx.app)
    .post('/wallet/topup/')
    .set(auth)
    .send(seedBody({ env_id: Number(env.envId), user_id: userId, wallet_id: Number(walletId), amount: balance }));
  expect(topup.status).toBe(200);
  return { userId, walletId };
}

async function until(env: Env, id: string, done: (w: Record<string, any>) => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(ctx.app).get(`/wallet/withdrawals/${id}/`).set({ 'X-Wallet-Signature': env.secret }).query({ env_id: env.envId });
    if (done(res.body)) return res.body;
    if (Date.now() > deadline) throw new Error(`withdrawal ${id} stuck: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A withdrawal whose transfer and payout exist (status processing). */
async function moving(env: Env, amount: number) {
  const u = await funded(env, amount);
  const res = await request(ctx.app)
    .post('/wallet/withdraw/')
    .set({ 'X-Wallet-Signature': env.secret })
    .send(seedBody({ env_id: Number(env.envId), user_id: u.userId, wallet_id: Number(u.walletId), amount }));
  expect(res.status).toBe(200);
  const id = res.body.withdrawal_id as string;
  const w = await until(env, id, (b) => b.stripe_account_id !== null);
  await postEvent(ctx.app, ctx.stripe, accountUpdated(w.stripe_account_id, env.envId, u.userId));
  const m = await until(env, id, (b) => b.stripe_payout_id !== null && b.status === 'processing');
  return m as { id: string; stripe_account_id: string; stripe_transfer_id: string; stripe_payout_id: string; amount: number };
}

// ---- Reading what a run left. ----

async function mismatchesOf(envId: string) {
  const { rows } = await ctx.pool.query(
    `select kind, stripe_object_id, status, ledger, stripe from reconciliation_mismatches where env_id = $1 order by kind, stripe_object_id`,
    [envId],
  );
  return rows as { kind: string; stripe_object_id: string; status: string; ledger: any; stripe: any }[];
}

async function mismatchEvents(envId: string): Promise<any[]> {
  const { rows } = await ctx.pool.query(`select payload from webhook_events where env_id = $1 and type = 'reconciliation.mismatch' order by id`, [envId]);
  return rows.map((r) => JSON.parse(r.payload as string));
}

async function counted(): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('paynocchio_reconciliation_mismatches_total')!.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.kind), v.value]));
}

async function admin(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdmin(args, {
    pool: () => ctx.pool,
    temporal: async () => ctx.client,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    taskQueue: ctx.stack.taskQueue,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const now = () => Math.floor(Date.now() / 1000);

test('the worker created the reconciliation schedule (paynocchio-reconcile) that starts the reconcile workflow', async () => {
  const schedule = await ctx.client.schedule.getHandle(RECONCILE_SCHEDULE_ID).describe();
  expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reconcile' });
  // Created idempotently: again at start is fine, and a changed RECONCILE_EVERY updates the interval.
  await ensureReconcileSchedule(ctx.client, { taskQueue: ctx.stack.taskQueue, searchAttributes: true, everyMs: 2 * 24 * 3600_000 });
  expect((await ctx.client.schedule.getHandle(RECONCILE_SCHEDULE_ID).describe()).spec.intervals?.[0]?.every).toBe(2 * 24 * 3600_000);
  await ensureReconcileSchedule(ctx.client, { taskQueue: ctx.stack.taskQueue, searchAttributes: true, everyMs: 7 * 24 * 3600_000 }); // the suite's RECONCILE_EVERY
  await ensureReconcileSchedule(ctx.client, { taskQueue: ctx.stack.taskQueue, searchAttributes: true, everyMs: 7 * 24 * 3600_000 });
  expect((await ctx.client.schedule.getHandle(RECONCILE_SCHEDULE_ID).describe()).spec.intervals?.[0]?.every).toBe(7 * 24 * 3600_000);
});

test('injected differences are each found exactly once (run twice), sent to the merchant, counted; a late webhook resolves one', async () => {
  const env = await newEnvironment(ctx.pool, 'reconciliation fake');
  const since = new Date(Date.now() - 60_000).toISOString();
  const [a, b, c] = [await moving(env, 10), await moving(env, 10), await moving(env, 10)];
  const t = now();
  const transfer = (id: string, amount: number, withdrawalId: string | null): TransferLike => ({
    id, amount, amount_reversed: 0, currency: 'usd', created: t, destination: 'acct_x',
    metadata: { env_id: env.envId, ...(withdrawalId ? { withdrawal_id: withdrawalId } : {}) }, reversals: { data: [], has_more: false },
  });
  const payout = (w: typeof a, status: string): PayoutLike => ({
    id: w.stripe_payout_id, amount: 1000, currency: 'usd', created: t, status, metadata: { env_id: env.envId, withdrawal_id: w.id },
  });
  const stray = `tr_stray_${randomUUID().slice(0, 8)}`;
  fake.transferList = [
    transfer(a.stripe_transfer_id, 999, a.id), // amount changed at Stripe
    transfer(b.stripe_transfer_id, 1000, b.id),
    transfer(c.stripe_transfer_id, 1000, c.id),
    transfer(stray, 4200, null), // a Stripe transfer with no withdrawal
  ];
  fake.payoutLists = new Map([
    [a.stripe_account_id, [payout(a, 'in_transit')]],
    [b.stripe_account_id, []], // b's payout is in the ledger, Stripe does not list it (and does not know it)
    [c.stripe_account_id, [payout(c, 'paid')]], // paid at Stripe, its webhook not here yet
  ]);
  const expected = [
    { kind: 'amount_differs', stripe_object_id: a.stripe_transfer_id, status: 'open' },
    { kind: 'missing_at_stripe', stripe_object_id: b.stripe_payout_id, status: 'open' },
    { kind: 'missing_in_ledger', stripe_object_id: stray, status: 'open' },
    { kind: 'status_differs', stripe_object_id: c.stripe_payout_id, status: 'open' },
  ];
  const before = await counted();
  const run = (): Promise<ReconcileSummary> =>
    ctx.client.workflow.execute('reconcile', {
      taskQueue: fakeQueue,
      workflowId: `reconcile-fake-${randomUUID()}`,
      // Pages of 2 objects, 2 pages per workflow run: the paging and continue-as-new paths on the real server.
      args: [{ since, envId: env.envId, pageSize: 2, pagesPerRun: 2 }],
    });

  const first = await run();
  expect(first).toMatchObject({ envId: env.envId, opened: 4, matched: 3, examined: 7, resolved: 0, openInScope: 4 });
  expect(fake.calls).toContain(`transfers.list ${fake.transferList[1]!.id}`); // paged by cursor
  const found = await mismatchesOf(env.envId);
  expect(found.map(({ kind, stripe_object_id, status }) => ({ kind, stripe_object_id, status }))).toEqual(
    [...expected].sort((x, y) => x.kind.localeCompare(y.kind) || x.stripe_object_id.localeCompare(y.stripe_object_id)),
  );
  // Both sides' facts.
  const amount = found.find((m) => m.kind === 'amount_differs')!;
  expect(amount.ledger).toMatchObject({ withdrawal_id: a.id, amount: '1000', currency: 'USD', status: 'processing' });
  expect(amount.stripe).toMatchObject({ id: a.stripe_transfer_id, amount: '999', currency: 'usd' });
  expect(found.find((m) => m.kind === 'missing_at_stripe')).toMatchObject({ stripe: null, ledger: { withdrawal_id: b.id, stripe_payout_id: b.stripe_payout_id } });
  expect(found.find((m) => m.kind === 'missing_in_ledger')).toMatchObject({ ledger: null, stripe: { id: stray, amount: '4200' } });
  expect(found.find((m) => m.kind === 'status_differs')).toMatchObject({ ledger: { status: 'processing' }, stripe: { status: 'paid' } });
  const events = await mismatchEvents(env.envId);
  expect(events.map((e) => `${e.data.mismatch.kind} ${e.data.mismatch.stripe_object_id}`).sort()).toEqual(
    expected.map((m) => `${m.kind} ${m.stripe_object_id}`).sort(),
  );
  expect(events[0]).toMatchObject({ type: 'reconciliation.mismatch', data: { mismatch: { status: 'open', env_id: env.envId } } });
  const afterFirst = await counted();
  for (const kind of ['amount_differs', 'missing_at_stripe', 'missing_in_ledger', 'status_differs']) {
    expect((afterFirst[kind] ?? 0) - (before[kind] ?? 0)).toBe(1);
  }

  // Run again: the same differences, nothing new stored, sent or counted.
  const second = await run();
  expect(second).toMatchObject({ opened: 0, matched: 3, examined: 7, resolved: 0, openInScope: 4 });
  expect((await mismatchesOf(env.envId)).map((m) => `${m.kind} ${m.stripe_object_id} ${m.status}`)).toEqual(
    found.map((m) => `${m.kind} ${m.stripe_object_id} ${m.status}`),
  );
  expect(await mismatchEvents(env.envId)).toHaveLength(4);
  expect(await counted()).toEqual(afterFirst);

  // The late payout.paid webhook: the ledger catches up, the next run closes the status mismatch.
  await postEvent(ctx.app, ctx.stripe, payoutEvent('payout.paid', c.stripe_payout_id, c.stripe_account_id, env.envId, c.id));
  await until(env, c.id, (w) => w.status === 'paid');
  const third = await run();
  expect(third).toMatchObject({ opened: 0, resolved: 1, openInScope: 3 });
  const after = await mismatchesOf(env.envId);
  expect(after).toHaveLength(4); // closed, not duplicated
  expect(after.find((m) => m.stripe_object_id === c.stripe_payout_id)).toMatchObject({ kind: 'status_differs', status: 'resolved' });

  // Listed by the admin command (open ones by default) with no clean window for this environment.
  const listed = await admin(['reconcile', 'list', '--env', env.envId]);
  expect(listed.code).toBe(0);
  const doc = JSON.parse(listed.out);
  expect(doc.mismatches.map((m: any) => m.kind).sort()).toEqual(['amount_differs', 'missing_at_stripe', 'missing_in_ledger']);
  expect(doc.last_clean_windows).toEqual([]);

  // And in the console.
  const token = 'operator-token-for-reconciliation';
  const consoleApp = createApp({ pool: ctx.pool, temporal: { client: ctx.client, taskQueue: ctx.stack.taskQueue, searchAttributes: true, syncTimeoutMs: 30_000 }, ops: { operatorToken: token } });
  const page = await request(consoleApp).get('/console').query({ env: env.envId }).set('Authorization', `Bearer ${token}`);
  expect(page.status).toBe(200);
  const section = page.text.slice(page.text.indexOf('id="mismatches"'), page.text.indexOf('id="clean-windows"'));
  expect(section).toContain(stray);
  expect(section).toContain(a.stripe_transfer_id);
  expect(section).not.toContain(c.stripe_payout_id); // resolved: no longer listed as open

  // Stripe later says the paid payout failed: the same row reopens (one more event and count, no second row).
  fake.payoutLists.set(c.stripe_account_id, [payout(c, 'failed')]);
  const fourth = await run();
  expect(fourth).toMatchObject({ opened: 1, resolved: 0, openInScope: 4 });
  const reopened = await mismatchesOf(env.envId);
  expect(reopened).toHaveLength(4);
  expect(reopened.find((m) => m.stripe_object_id === c.stripe_payout_id)).toMatchObject({
    kind: 'status_differs', status: 'open', ledger: { status: 'paid' }, stripe: { status: 'failed' },
  });
  expect(await mismatchEvents(env.envId)).toHaveLength(5);
  expect((await counted()).status_differs).toBe(afterFirst.status_differs! + 1);
}, 120_000);

test('against stripe-mock: `npm run admin -- reconcile --since … --env …` matches the withdrawal, and the clean window is shown', async () => {
  const env = await newEnvironment(ctx.pool, 'reconciliation stripe-mock');
  await moving(env, 11); // stripe-mock answers every transfer and payout with 11.00 usd, in_transit
  const ran = await admin(['reconcile', '--since', '2009-01-01T00:00:00Z', '--env', env.envId]);
  expect(ran.err).toContain('reconciling');
  expect(ran.code).toBe(0);
  const summary = JSON.parse(ran.out);
  // stripe-mock's own sample objects carry no env_id: outside this run's scope. Our transfer and payout match.
  expect(summary).toMatchObject({ env_id: env.envId, opened: 0, open_in_scope: 0, matched: 2, since: '2009-01-01T00:00:00.000Z' });
  recordHistory('reconcile', summary.workflow_id);
  expect(await mismatchesOf(env.envId)).toEqual([]);

  const listed = JSON.parse((await admin(['reconcile', 'list', '--env', env.envId])).out);
  expect(listed).toEqual({
    mismatches: [],
    last_clean_windows: [{ env_id: env.envId, since: '2009-01-01T00:00:00.000Z', until: expect.any(String), run_id: summary.run_id }],
  });

  const token = 'operator-token-for-reconciliation';
  const consoleApp = createApp({ pool: ctx.pool, temporal: { client: ctx.client, taskQueue: ctx.stack.taskQueue, searchAttributes: true, syncTimeoutMs: 30_000 }, ops: { operatorToken: token } });
  const page = await request(consoleApp).get('/console').query({ env: env.envId }).set('Authorization', `Bearer ${token}`);
  expect(page.text.slice(page.text.indexOf('id="clean-windows"'))).toContain('2009-01-01 00:00:00');
}, 120_000);

test('the admin command refuses a bad window or an unknown environment before starting anything', async () => {
  expect(await admin(['reconcile', '--since', 'yesterday'])).toMatchObject({ code: 2, err: expect.stringContaining('--since must be an ISO time') });
  expect(await admin(['reconcile', '--since', '2026-02-01T00:00:00Z', '--until', '2026-01-01T00:00:00Z'])).toMatchObject({ code: 2 });
  expect(await admin(['reconcile', '--env', '999999999'])).toMatchObject({ code: 1, err: expect.stringContaining('not found') });
  expect(await admin(['reconcile', 'list', '--status', 'closed'])).toMatchObject({ code: 2 });
});
