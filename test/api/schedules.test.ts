/**
 * Schedules (issue 13, section 1) end to end: the API, the Temporal Schedule on the
 * suite's dev server, the worker running scheduleRun and the ordinary movement
 * workflows, Postgres. Runs are driven by handle.trigger(), by scheduleRun started by
 * hand for a chosen scheduled time, and (one test) by a 2 s interval the test app allows.
 */
import { ScheduleNotFoundError } from '@temporalio/client';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { merchant } from '../helpers/api';
import { recordHistory } from '../helpers/record-history';
import { expectLedgerExact, newEnvironment, seedBody, startTestContext, type TestContext } from '../helpers/stack';
import type { ScheduleRunResult } from '../../src/domain/schedules';

let ctx: TestContext;
let m: ReturnType<typeof merchant>;
let env: { envId: string; secret: string };
beforeAll(async () => {
  ctx = await startTestContext({ schedules: { minIntervalMs: 2000 } });
  env = await newEnvironment(ctx.pool);
  m = merchant(ctx, env);
});
afterEach(async () => expectLedgerExact(ctx.pool));
afterAll(async () => ctx.close());

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const create = (body: Record<string, unknown>, key?: string) => m.post('/wallet/schedules/', { env_id: Number(m.envId), ...body }, key);
const show = (id: string) => m.get(`/wallet/schedules/${id}/`, { env_id: m.envId });

/** Runs scheduleRun for a chosen scheduled time, as the Temporal Schedule would (or an operator re-running it). */
async function runAt(scheduleId: string, scheduledAt: string, suffix = '', history?: string): Promise<ScheduleRunResult> {
  const workflowId = `test-schedule-run-${scheduleId}-${scheduledAt}${suffix}-${Date.now()}`;
  const result: ScheduleRunResult = await ctx.client.workflow.execute('scheduleRun', {
    taskQueue: ctx.stack.taskQueue,
    workflowId,
    args: [{ scheduleId, envId: m.envId, scheduledAt }],
  });
  if (history) recordHistory(history, workflowId);
  return result;
}

async function events(type: string): Promise<Record<string, any>[]> {
  const { rows } = await ctx.pool.query<{ payload: string }>('select payload from webhook_events where env_id = $1 and type = $2 order by id', [m.envId, type]);
  return rows.map((r) => JSON.parse(r.payload));
}

async function paymentSchedule(user: string, wallet: string, extra: Record<string, unknown> = {}) {
  const res = await create({ user_id: user, wallet_id: Number(wallet), kind: 'payment', amount: 2.5, product_id: 'plan', every: '1h', ...extra });
  expect(res.status).toBe(201);
  return res.body.schedule as Record<string, any>;
}

test('a schedule is a Temporal Schedule with search attributes; a triggered run pays once and is recorded with its order', async () => {
  const w = await m.wallet('sam');
  await m.topup('sam', w, 100);
  const res = await create({ user_id: 'sam', wallet_id: Number(w), kind: 'payment', amount: 9.99, product_id: 'plan-pro', cron: '0 9 * * MON', timezone: 'Europe/Paris' });
  expect(res.status).toBe(201);
  const s = res.body.schedule;
  expect(s).toMatchObject({ status: 'active', kind: 'payment', amount: 9.99, wallet_id: w, cron: '0 9 * * MON', every: null, timezone: 'Europe/Paris' });
  expect(res.text).toContain('"amount":9.99');
  // Next Monday 09:00 in Paris: 08:00 or 07:00 UTC.
  expect(new Date(s.next_run_at).getUTCDay()).toBe(1);
  expect([7, 8]).toContain(new Date(s.next_run_at).getUTCHours());

  const handle = ctx.client.schedule.getHandle(s.temporal_schedule_id);
  const d = await handle.describe();
  expect(d.searchAttributes).toMatchObject({ PaynocchioEnvId: [m.envId], PaynocchioWalletId: [w], PaynocchioKind: ['payment'] });
  expect(d.policies.overlap).toBe('CANCEL_OTHER');

  await handle.trigger();
  const run = await until('the triggered run', async () => {
    const r = (await show(s.id)).body.runs?.[0];
    return r && r.outcome !== 'running' ? r : null;
  });
  expect(run).toMatchObject({ outcome: 'succeeded', code: null });
  const { rows } = await ctx.pool.query('select amount::text, status, workflow_id from orders where id = $1', [run.movement_id]);
  expect(rows[0]).toMatchObject({ amount: '999', status: 'completed', workflow_id: run.movement_workflow_id });
  expect(run.movement_workflow_id).toBe(`scheduled-payment-${m.envId}-${s.id}-${run.scheduled_at.replace(/\.\d{3}Z$/, 'Z')}`);
  expect(await m.balance(w)).toBe(String(10000 - 999));
  recordHistory('schedule-run', run.workflow_id);
  await handle.delete();
});

test('a run started again for the same scheduled time never pays twice, even when its record was lost', async () => {
  const w = await m.wallet('rita');
  await m.topup('rita', w, 100);
  const s = await paymentSchedule('rita', w);
  const at = '2026-03-02T09:00:00Z';
  const first = await runAt(s.id, at);
  expect(first).toMatchObject({ outcome: 'succeeded', scheduledAt: at });
  expect(await m.balance(w)).toBe('9750');
  // A second run for that time (Temporal retrying, an operator re-running it): the record answers.
  const again = await runAt(s.id, at, '-again');
  expect(again).toMatchObject({ outcome: 'succeeded', movementId: first.movementId });
  // Lost record (a crash between the movement and its record): the movement's workflow id is the same, so it is found, not repeated.
  await ctx.pool.query('delete from schedule_runs where schedule_id = $1', [s.id]);
  const lost = await runAt(s.id, at, '-lost', 'schedule-run-movement-already-ran');
  expect(lost).toMatchObject({ outcome: 'succeeded', movementId: first.movementId });
  expect(await m.balance(w)).toBe('9750');
  const { rows } = await ctx.pool.query('select count(*)::int as n from orders where wallet_id = $1', [w]);
  expect(rows[0].n).toBe(1);
  // Another scheduled time is another run.
  expect(await runAt(s.id, '2026-03-03T09:00:00Z')).toMatchObject({ outcome: 'succeeded' });
  expect(await m.balance(w)).toBe('9500');
  await request(ctx.app).delete(`/wallet/schedules/${s.id}/`).set('X-Wallet-Signature', env.secret).query({ env_id: m.envId }).expect(200);
});

test('refused runs are recorded and sent as schedule.run_failed; the third in a row pauses the schedule (schedule.paused); resume clears it', async () => {
  const w = await m.wallet('poor');
  const s = await paymentSchedule('poor', w);
  const outcomes = [];
  for (const at of ['2026-04-01T09:00:00Z', '2026-04-02T09:00:00Z']) outcomes.push(await runAt(s.id, at));
  outcomes.push(await runAt(s.id, '2026-04-03T09:00:00Z', '', 'schedule-run-refused-paused'));
  expect(outcomes.map((o) => [o.outcome, o.code, o.paused])).toEqual([
    ['refused', 'insufficient_funds', false],
    ['refused', 'insufficient_funds', false],
    ['refused', 'insufficient_funds', true],
  ]);
  const shown = await show(s.id);
  expect(shown.body.schedule).toMatchObject({ status: 'paused', status_reason: 'refused_runs', consecutive_failures: 3, next_run_at: null });
  expect(shown.body.runs.map((r: any) => [r.scheduled_at, r.outcome, r.code])).toEqual([
    ['2026-04-03T09:00:00.000Z', 'refused', 'insufficient_funds'],
    ['2026-04-02T09:00:00.000Z', 'refused', 'insufficient_funds'],
    ['2026-04-01T09:00:00.000Z', 'refused', 'insufficient_funds'],
  ]);
  const failed = (await events('schedule.run_failed')).filter((e) => e.data.schedule.id === s.id);
  expect(failed.map((e) => e.data.run.code)).toEqual(['insufficient_funds', 'insufficient_funds', 'insufficient_funds']);
  const paused = (await events('schedule.paused')).filter((e) => e.data.schedule.id === s.id);
  expect(paused).toHaveLength(1);
  expect(paused[0]!.data).toMatchObject({ reason: 'refused_runs', schedule: { status: 'paused' } });
  const handle = ctx.client.schedule.getHandle(s.temporal_schedule_id);
  expect((await handle.describe()).state.paused).toBe(true);
  // A run of a paused schedule moves nothing.
  await m.topup('poor', w, 10);
  expect(await runAt(s.id, '2026-04-04T09:00:00Z')).toMatchObject({ outcome: 'skipped', code: 'schedule_paused' });
  expect(await m.balance(w)).toBe('1000');

  const resumed = await m.post(`/wallet/schedules/${s.id}/resume/`, { env_id: m.envId });
  expect(resumed.status).toBe(200);
  expect(resumed.body.schedule).toMatchObject({ status: 'active', status_reason: null, consecutive_failures: 0 });
  expect(resumed.body.schedule.next_run_at).not.toBeNull();
  expect((await handle.describe()).state.paused).toBe(false);
  expect(await runAt(s.id, '2026-04-05T09:00:00Z')).toMatchObject({ outcome: 'succeeded' });
  expect(await m.balance(w)).toBe('750');
  await handle.delete();
});

test('a 2 s interval runs on its own against the dev server; DELETE ends it', async () => {
  const w = await m.wallet('ivy');
  await m.topup('ivy', w, 100);
  const s = await paymentSchedule('ivy', w, { every: '2s' });
  expect(s.every).toBe('2s');
  const runs = await until('two runs', async () => {
    const r = (await show(s.id)).body.runs.filter((x: any) => x.outcome === 'succeeded');
    return r.length >= 2 ? r : null;
  }, 30_000);
  expect(new Set(runs.map((r: any) => r.movement_id)).size).toBe(runs.length);
  const del = await request(ctx.app).delete(`/wallet/schedules/${s.id}/`).set('X-Wallet-Signature', env.secret).query({ env_id: m.envId });
  expect(del.status).toBe(200);
  expect(del.body.schedule).toMatchObject({ status: 'ended', status_reason: 'deleted', next_run_at: null });
  await expect(ctx.client.schedule.getHandle(s.temporal_schedule_id).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  await new Promise((r) => setTimeout(r, 500));
  const count = (await show(s.id)).body.runs.length;
  await new Promise((r) => setTimeout(r, 3000));
  expect((await show(s.id)).body.runs.length).toBe(count);
  // Ended: pause and resume are refused, DELETE answers it again.
  expect((await m.post(`/wallet/schedules/${s.id}/pause/`, { env_id: m.envId })).status).toBe(409);
  expect((await request(ctx.app).delete(`/wallet/schedules/${s.id}`).set('X-Wallet-Signature', env.secret).query({ env_id: m.envId })).status).toBe(200);
});

test('pause and resume through the API reach the Temporal Schedule; the list shows the wallet’s schedules', async () => {
  const w = await m.wallet('pat');
  const to = await m.wallet('quinn');
  const s = await paymentSchedule('pat', w);
  const t = await create({ user_id: 'pat', wallet_id: Number(w), kind: 'transfer', amount: 1, to_wallet_id: Number(to), every: '7d', start_at: '2030-01-01T00:00:00Z', end_at: '2031-01-01T00:00:00Z' });
  expect(t.status).toBe(201);
  expect(t.body.schedule.next_run_at).toBe('2030-01-01T00:00:00.000Z');
  const paused = await m.post(`/wallet/schedules/${s.id}/pause/`, { env_id: m.envId });
  expect(paused.status).toBe(200);
  expect(paused.body.schedule).toMatchObject({ status: 'paused', status_reason: 'requested', next_run_at: null });
  expect((await ctx.client.schedule.getHandle(s.temporal_schedule_id).describe()).state.paused).toBe(true);
  const list = await m.get('/wallet/schedules/', { env_id: m.envId, wallet_id: w });
  expect(list.status).toBe(200);
  expect(list.body.schedules.map((x: any) => [x.id, x.kind, x.status])).toEqual([
    [t.body.schedule.id, 'transfer', 'active'],
    [s.id, 'payment', 'paused'],
  ]);
  expect((await m.post(`/wallet/schedules/${s.id}/resume/`, { env_id: m.envId })).body.schedule.status).toBe('active');
  expect((await ctx.client.schedule.getHandle(s.temporal_schedule_id).describe()).state.paused).toBe(false);
});

test('closing a wallet ends its schedules (schedule.ended) and deletes their Temporal Schedules', async () => {
  const w = await m.wallet('cleo');
  const s = await paymentSchedule('cleo', w);
  await m.setStatus('cleo', w, 'closed');
  const shown = await show(s.id);
  expect(shown.body.schedule).toMatchObject({ status: 'ended', status_reason: 'wallet_closed' });
  await expect(ctx.client.schedule.getHandle(s.temporal_schedule_id).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  const ended = (await events('schedule.ended')).filter((e) => e.data.schedule.id === s.id);
  expect(ended).toHaveLength(1);
  expect(ended[0]!.data.reason).toBe('wallet_closed');
  // A run that was already on its way moves nothing.
  expect(await runAt(s.id, '2026-05-01T09:00:00Z', '', 'schedule-run-ended')).toMatchObject({ outcome: 'skipped', code: 'schedule_ended' });
  // No new schedule on a closed wallet.
  expect((await create({ user_id: 'cleo', wallet_id: Number(w), kind: 'withdraw', amount: 1, every: '1d' })).status).toBe(422);
});

test('a scheduled withdraw for a user without an onboarded Stripe account is refused account_not_onboarded and holds nothing', async () => {
  const w = await m.wallet('wes');
  await m.topup('wes', w, 50);
  const res = await create({ user_id: 'wes', wallet_id: Number(w), kind: 'withdraw', amount: 20, every: '7d' });
  expect(res.status).toBe(201);
  const out = await runAt(res.body.schedule.id, '2026-06-01T09:00:00Z', '', 'schedule-run-withdraw-not-onboarded');
  expect(out).toMatchObject({ outcome: 'refused', code: 'account_not_onboarded', movementId: null });
  const { rows } = await ctx.pool.query('select balance::text, held::text from wallets where id = $1', [w]);
  expect(rows[0]).toEqual({ balance: '5000', held: '0' });
  await ctx.client.schedule.getHandle(res.body.schedule.temporal_schedule_id).delete();
});

describe('validation: 422, nothing created', () => {
  let w: string;
  let before: number;
  beforeAll(async () => {
    w = await m.wallet('val');
  });
  beforeEach(async () => {
    before = (await ctx.pool.query('select count(*)::int as n from schedules')).rows[0].n;
  });
  afterEach(async () => {
    expect((await ctx.pool.query('select count(*)::int as n from schedules')).rows[0].n).toBe(before);
  });
  const base = () => ({ user_id: 'val', wallet_id: Number(w), kind: 'payment', amount: 1, product_id: 'p' });

  test.each([
    ['not a cron', { cron: 'every monday' }, 'cron'],
    ['a cron Temporal refuses', { cron: '61 * * * *' }, 'cron'],
    ['@every (use every)', { cron: '@every 10s' }, 'cron'],
    ['an interval under the minimum (this app: 2 s)', { every: '1s' }, 'every'],
    ['an interval that is not a duration', { every: '1 day' }, 'every'],
    ['end_at before start_at', { every: '1h', start_at: '2030-01-02T00:00:00Z', end_at: '2030-01-01T00:00:00Z' }, 'end_at'],
    ['both cron and every', { cron: '0 9 * * *', every: '1h' }, 'cron'],
    ['neither cron nor every', {}, 'cron'],
    ['an unknown time zone', { cron: '0 9 * * *', timezone: 'Mars/Olympus' }, 'timezone'],
  ])('%s', async (_name, extra, field) => {
    const res = await create({ ...base(), ...extra });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('invalid_request');
    expect(JSON.stringify(res.body.error)).toContain(field);
  });

  test('an interval under one minute, with the default minimum', async () => {
    const plain = await startTestContext();
    try {
      const res = await request(plain.app)
        .post('/wallet/schedules')
        .set({ 'X-Wallet-Signature': env.secret, 'Content-Type': 'application/json' })
        .send(seedBody({ env_id: Number(m.envId), ...base(), every: '59s' }));
      expect(res.status).toBe(422);
      expect(res.body.error.details).toEqual({ field: 'every' });
      expect(res.body.error.message).toContain('at least 60 seconds');
    } finally {
      await plain.close();
    }
  });

  test('kind-specific fields', async () => {
    expect((await create({ ...base(), product_id: undefined, every: '1h' })).status).toBe(422);
    expect((await create({ ...base(), to_wallet_id: Number(w), every: '1h' })).status).toBe(422);
    expect((await create({ ...base(), kind: 'transfer', product_id: undefined, every: '1h' })).status).toBe(422);
  });

  test('an unknown field', async () => {
    const res = await create({ ...base(), every: '1h', interval: '1h' });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toContain('interval');
  });

  test("another user's wallet is not found; another environment's secret is forbidden", async () => {
    expect((await create({ ...base(), user_id: 'someone-else', every: '1h' })).status).toBe(404);
    const other = await newEnvironment(ctx.pool, 'other');
    const res = await request(ctx.app)
      .post('/wallet/schedules/')
      .set({ 'X-Wallet-Signature': other.secret, 'Content-Type': 'application/json' })
      .send(seedBody({ env_id: Number(m.envId), ...base(), every: '1h' }));
    expect(res.status).toBe(403);
  });
});

test('a retried create with the same Idempotency-Key answers the same schedule', async () => {
  const w = await m.wallet('ida');
  const body = { user_id: 'ida', wallet_id: Number(w), kind: 'payment', amount: 1, product_id: 'p', every: '1d' };
  const a = await create(body, 'sched-key-1');
  const b = await create(body, 'sched-key-1');
  expect(a.status).toBe(201);
  expect(b.status).toBe(201);
  expect(b.body.schedule.id).toBe(a.body.schedule.id);
  expect(b.headers['idempotent-replayed']).toBe('true');
  expect((await ctx.pool.query('select count(*)::int as n from schedules where wallet_id = $1', [w])).rows[0].n).toBe(1);
  await ctx.client.schedule.getHandle(a.body.schedule.temporal_schedule_id).delete();
});

test("another environment cannot read or change a schedule", async () => {
  const w = await m.wallet('ten');
  const s = await paymentSchedule('ten', w);
  const other = merchant(ctx, await newEnvironment(ctx.pool, 'other2'));
  expect((await other.get(`/wallet/schedules/${s.id}`, { env_id: other.envId })).status).toBe(404);
  expect((await other.post(`/wallet/schedules/${s.id}/pause`, { env_id: other.envId })).status).toBe(404);
  expect((await other.get(`/wallet/schedules/${s.id}`, { env_id: m.envId })).status).toBe(403);
  expect((await show(s.id)).body.schedule.status).toBe('active');
  await ctx.client.schedule.getHandle(s.temporal_schedule_id).delete();
});

test('the console lists schedules with their status and last run', async () => {
  const w = await m.wallet('con');
  const s = await paymentSchedule('con', w);
  await runAt(s.id, '2026-07-01T09:00:00Z');
  const token = 'operator-token-for-schedules-test';
  const app = createApp({ pool: ctx.pool, temporal: { client: ctx.client, taskQueue: ctx.stack.taskQueue, searchAttributes: true, syncTimeoutMs: 30_000 }, ops: { operatorToken: token } });
  const res = await request(app).get('/console').query({ env: m.envId }).set('Authorization', `Bearer ${token}`);
  expect(res.status).toBe(200);
  const section = res.text.slice(res.text.indexOf('<table id="schedules">'));
  expect(section).toContain(`<td>${s.id}</td>`);
  expect(section).toContain('refused insufficient_funds');
  expect(section).toContain(s.temporal_schedule_id);
  await ctx.client.schedule.getHandle(s.temporal_schedule_id).delete();
});

test('pausing a schedule whose Temporal Schedule is gone answers; resuming creates it again', async () => {
  const w = await m.wallet('gone');
  const s = await paymentSchedule('gone', w);
  await ctx.client.schedule.getHandle(s.temporal_schedule_id).delete(); // an operator, or a run that found it paused
  expect((await m.post(`/wallet/schedules/${s.id}/pause/`, { env_id: m.envId })).status).toBe(200);
  const resumed = await m.post(`/wallet/schedules/${s.id}/resume/`, { env_id: m.envId });
  expect(resumed.status).toBe(200);
  expect(resumed.body.schedule.next_run_at).not.toBeNull();
  const d = await ctx.client.schedule.getHandle(s.temporal_schedule_id).describe();
  expect(d.state.paused).toBe(false);
  await ctx.client.schedule.getHandle(s.temporal_schedule_id).delete();
});

test('a run cancelled while no worker ran it (superseded by a later one: CANCEL_OTHER) moves nothing and is recorded skipped', async () => {
  const { NativeConnection, Worker } = await import('@temporalio/worker');
  const { createActivities } = await import('../../src/activities');
  const { quietTemporalRuntime } = await import('../helpers/runtime');
  quietTemporalRuntime();
  const w = await m.wallet('sup');
  await m.topup('sup', w, 10);
  const s = await paymentSchedule('sup', w);
  const taskQueue = `schedules-superseded-${Date.now()}`;
  const workflowId = `test-schedule-run-superseded-${s.id}`;
  const handle = await ctx.client.workflow.start('scheduleRun', { taskQueue, workflowId, args: [{ scheduleId: s.id, envId: m.envId, scheduledAt: '2026-08-01T09:00:00Z' }] });
  await handle.cancel();
  const connection = await NativeConnection.connect({ address: ctx.stack.temporalAddress });
  try {
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowBundle: { codePath: ctx.stack.workflowBundlePath },
      activities: createActivities({ pool: ctx.pool, stripe: ctx.stripe, publicUrl: 'http://localhost:3000' }),
    });
    const result: ScheduleRunResult = await worker.runUntil(handle.result());
    expect(result).toMatchObject({ outcome: 'skipped', code: 'superseded', movementId: null });
  } finally {
    await connection.close();
  }
  recordHistory('schedule-run-superseded', workflowId);
  expect(await m.balance(w)).toBe('1000');
  expect((await show(s.id)).body.runs[0]).toMatchObject({ scheduled_at: '2026-08-01T09:00:00.000Z', outcome: 'skipped', code: 'superseded', movement_id: null });
  await ctx.client.schedule.getHandle(s.temporal_schedule_id).delete();
});

test('missed runs (a backfill of three past days, as after an outage): only the latest runs, the older are skipped', async () => {
  const w = await m.wallet('miss');
  await m.topup('miss', w, 100);
  const s = await paymentSchedule('miss', w, { every: undefined, cron: '0 9 * * *' });
  const handle = ctx.client.schedule.getHandle(s.temporal_schedule_id);
  const now = Date.now();
  const day = 86_400_000;
  // Three 09:00 UTC times in the range, the latest of them `latest`.
  const today9 = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate(), 9);
  const latest = today9 <= now - 60_000 ? today9 : today9 - day;
  await handle.backfill([{ start: new Date(latest - 2 * day - 60_000), end: new Date(latest + 1000) }]);
  const runs = await until('the backfilled run', async () => {
    const r = (await show(s.id)).body.runs;
    return r.length >= 1 && r.every((x: any) => x.outcome !== 'running') ? r : null;
  });
  await new Promise((r) => setTimeout(r, 1500)); // room for a wrongly started older one to show
  const after = (await show(s.id)).body.runs;
  expect(after.map((r: any) => [r.scheduled_at, r.outcome])).toEqual([[new Date(latest).toISOString(), 'succeeded']]);
  expect(runs).toHaveLength(1);
  expect(await m.balance(w)).toBe('9750');
  await handle.delete();
});
