/**
 * scheduleRun's logic with mocked activities, on a local Temporal dev server started by
 * TestWorkflowEnvironment from the project's installed CLI. The time-skipping test server
 * (TestWorkflowEnvironment.createTimeSkipping) is a separate binary the SDK downloads from
 * temporal.download, which does not resolve here, so it is not used: no step of scheduleRun
 * waits on a timer long enough to need it (the Temporal Schedule's clock is the server's,
 * driven in test/api/schedules.test.ts with triggers and a 2 s interval).
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities';
import { withFailureMapping } from '../../src/activities/failures';
import { DomainError } from '../../src/domain/errors';
import type { Schedule, ScheduleRunResult } from '../../src/domain/schedules';
import type { Order, Wallet } from '../../src/domain/types';
import { startLocalWorkflowEnv } from '../helpers/runtime';
import { readStack } from '../helpers/stack';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startLocalWorkflowEnv();
}, 60_000);
afterAll(async () => env?.teardown());

const AT = '2026-01-05T09:00:00Z';
/** Each test its own schedule id: movement ids (schedule + time) are unique on the server, as in production. */
let SID = '300000001';
let next = 300000001;
beforeEach(() => {
  SID = String(++next);
});
const schedule = (kind: Schedule['kind']): Schedule => ({
  id: SID,
  envId: '1000',
  walletId: '100000001',
  userId: 'u1',
  kind,
  amount: '999',
  currency: 'USD',
  productId: kind === 'payment' ? 'plan' : null,
  toWalletId: kind === 'transfer' ? '100000002' : null,
  cron: '0 9 * * MON',
  everySeconds: null,
  timezone: null,
  startAt: null,
  endAt: null,
  status: 'active',
  statusReason: null,
  consecutiveFailures: 0,
  temporalScheduleId: 'paynocchio-schedule-300000001',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});
const wallet: Wallet = { id: '100000001', envId: '1000', userId: 'u1', currency: 'USD', status: 'active', balance: '1', held: '0', createdAt: '2026-01-01T00:00:00.000Z' };
const order = (status: Order['status']): Order => ({
  id: '500000009', envId: '1000', walletId: wallet.id, userId: 'u1', productId: 'plan', amount: '999', capturedAmount: '0', refundedAmount: '0', currency: 'USD',
  status, transactionId: null, failureCode: null, expiresAt: null, voidReason: null, createdAt: '2026-01-01T00:00:00.000Z', fee: '0', splits: [],
});

type Mocks = { [K in keyof Activities]: jest.Mock };

function mocks(kind: Schedule['kind'], overrides: Partial<Mocks> = {}): Mocks {
  return {
    beginScheduleRun: jest.fn(async () => ({ action: 'run', schedule: schedule(kind), withdrawWaits: {} })),
    finishScheduleRun: jest.fn(async () => ({ paused: false, temporalScheduleId: 'paynocchio-schedule-300000001' })),
    controlTemporalSchedule: jest.fn(async () => undefined),
    findScheduledMovement: jest.fn(async () => null),
    scheduledWithdrawReady: jest.fn(async () => true),
    createOrder: jest.fn(async () => order('pending')),
    chargeOrder: jest.fn(async () => ({ order: order('completed'), wallet })),
    // The payment workflow's one-step path (issue 11): order + charge in one local activity.
    payOrder: jest.fn(async () => ({ order: order('completed'), wallet })),
    failOrder: jest.fn(async () => ({ ...order('failed'), failureCode: 'insufficient_funds' })),
    ...overrides,
  } as Mocks;
}

async function worker(activities: Mocks, taskQueue: string): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: readStack().workflowBundlePath },
    activities: withFailureMapping(activities as unknown as Activities),
  });
}

async function runSchedule(activities: Mocks): Promise<ScheduleRunResult> {
  const taskQueue = `sched-test-${randomUUID()}`;
  const w = await worker(activities, taskQueue);
  return w.runUntil(
    env.client.workflow.execute('scheduleRun', {
      taskQueue,
      workflowId: `schedule-run-test-${randomUUID()}`,
      args: [{ scheduleId: SID, envId: '1000', scheduledAt: AT }],
    }),
  );
}

const child = (kind = 'payment') => `scheduled-${kind}-1000-${SID}-${AT}`;

test('a payment run charges through the payment workflow with an id made of the schedule and the scheduled time', async () => {
  const acts = mocks('payment');
  const result = await runSchedule(acts);
  expect(result).toEqual({ scheduledAt: AT, outcome: 'succeeded', movementId: '500000009', code: null, paused: false });
  expect(acts.payOrder).toHaveBeenCalledWith(
    expect.objectContaining({ workflowId: child(), amount: '999', productId: 'plan', idempotencyId: `${child()}:charge` }),
  );
  expect(acts.finishScheduleRun).toHaveBeenCalledWith(expect.objectContaining({ outcome: 'succeeded', movementId: '500000009', movementWorkflowId: child() }));
});

test('a refused run is finished as refused with the code; when that pauses the schedule, the Temporal Schedule is paused', async () => {
  const acts = mocks('payment', {
    payOrder: jest.fn(async () => {
      throw new DomainError('insufficient_funds', 'not enough');
    }),
    finishScheduleRun: jest.fn(async () => ({ paused: true, temporalScheduleId: 'paynocchio-schedule-300000001' })),
  });
  const result = await runSchedule(acts);
  expect(result).toMatchObject({ outcome: 'refused', code: 'insufficient_funds', paused: true });
  expect(acts.finishScheduleRun).toHaveBeenCalledWith(expect.objectContaining({ outcome: 'refused', code: 'insufficient_funds', movementId: null }));
  expect(acts.controlTemporalSchedule).toHaveBeenCalledWith(expect.objectContaining({ temporalScheduleId: 'paynocchio-schedule-300000001', action: 'pause' }));
});

test('a run recorded already answers its record and moves nothing', async () => {
  const acts = mocks('payment', {
    beginScheduleRun: jest.fn(async () => ({
      action: 'done',
      run: { scheduleId: '300000001', scheduledAt: AT, workflowId: 'x', outcome: 'succeeded', movementId: '500000009', movementWorkflowId: child(), code: null, message: null, createdAt: AT, finishedAt: AT },
    })),
  });
  expect(await runSchedule(acts)).toMatchObject({ outcome: 'succeeded', movementId: '500000009' });
  expect(acts.createOrder).not.toHaveBeenCalled();
  expect(acts.payOrder).not.toHaveBeenCalled();
  expect(acts.finishScheduleRun).not.toHaveBeenCalled();
});

test('a run cancelled before it started (a later run superseded it: overlap CANCEL_OTHER) is skipped and moves nothing', async () => {
  const acts = mocks('payment');
  const taskQueue = `sched-test-${randomUUID()}`;
  // Started and cancelled while no worker polls its queue (a worker outage), then a worker comes.
  const handle = await env.client.workflow.start('scheduleRun', {
    taskQueue,
    workflowId: `schedule-run-test-${randomUUID()}`,
    args: [{ scheduleId: SID, envId: '1000', scheduledAt: AT }],
  });
  await handle.cancel();
  const w = await worker(acts, taskQueue);
  const result: ScheduleRunResult = await w.runUntil(handle.result());
  expect(result).toMatchObject({ outcome: 'skipped', code: 'superseded' });
  expect(acts.createOrder).not.toHaveBeenCalled();
  expect(acts.payOrder).not.toHaveBeenCalled();
  expect(acts.finishScheduleRun).toHaveBeenCalledWith(expect.objectContaining({ outcome: 'skipped', code: 'superseded', movementWorkflowId: null }));
});

test('a paused schedule: nothing moves and the Temporal Schedule is paused to match the row', async () => {
  const acts = mocks('payment', {
    beginScheduleRun: jest.fn(async () => ({ action: 'inactive', status: 'paused', temporalScheduleId: 'paynocchio-schedule-300000001' })),
  });
  expect(await runSchedule(acts)).toMatchObject({ outcome: 'skipped', code: 'schedule_paused' });
  expect(acts.createOrder).not.toHaveBeenCalled();
  expect(acts.payOrder).not.toHaveBeenCalled();
  expect(acts.controlTemporalSchedule).toHaveBeenCalledWith(expect.objectContaining({ action: 'pause' }));
});

test('a withdraw whose hold is refused: the run is refused with the hold’s code', async () => {
  const acts = mocks('withdraw', {
    holdWithdrawal: jest.fn(async () => {
      throw new DomainError('insufficient_funds', 'not enough');
    }),
  });
  const result = await runSchedule(acts);
  expect(result).toMatchObject({ outcome: 'refused', code: 'insufficient_funds', movementId: null });
  expect(acts.holdWithdrawal).toHaveBeenCalledWith(expect.objectContaining({ workflowId: child('withdraw'), amount: '999' }));
});

test('a withdraw whose hold is taken: the run succeeds with the withdrawal once it exists (the withdrawal goes on by itself)', async () => {
  let held = false;
  const acts = mocks('withdraw', {
    holdWithdrawal: jest.fn(async () => {
      held = true;
      return { withdrawal: { id: '700000003' }, wallet };
    }),
    findScheduledMovement: jest.fn(async () => (held ? { movementId: '700000003', failureCode: null } : null)),
    // The withdrawal ends quickly here: Stripe refuses the account, the hold is released.
    ensureConnectedAccount: jest.fn(async () => {
      throw ApplicationFailure.create({ type: 'provider_error', message: 'refused', nonRetryable: true });
    }),
    finishWithdrawal: jest.fn(async () => ({})),
  });
  const result = await runSchedule(acts);
  expect(result).toMatchObject({ outcome: 'succeeded', movementId: '700000003' });
  expect(acts.scheduledWithdrawReady).toHaveBeenCalledWith({ envId: '1000', userId: 'u1' });
});

test('a withdraw for a user whose account cannot receive payouts is refused account_not_onboarded without starting it', async () => {
  const acts = mocks('withdraw', { scheduledWithdrawReady: jest.fn(async () => false), holdWithdrawal: jest.fn() });
  expect(await runSchedule(acts)).toMatchObject({ outcome: 'refused', code: 'account_not_onboarded' });
  expect(acts.holdWithdrawal).not.toHaveBeenCalled();
});

test('the movement id was used already (a re-run for the same time): nothing is charged again; a movement still pending is waited for', async () => {
  let looks = 0;
  const acts = mocks('payment', {
    findScheduledMovement: jest.fn(async () => (++looks < 3 ? { movementId: '500000009', failureCode: null, pending: true } : { movementId: '500000009', failureCode: null })),
  });
  const taskQueue = `sched-test-${randomUUID()}`;
  const w = await worker(acts, taskQueue);
  const result: ScheduleRunResult = await w.runUntil(async () => {
    // The first run's payment, under the id of the schedule and the time.
    await env.client.workflow.execute('payment', {
      taskQueue,
      workflowId: child(),
      args: [{ envId: '1000', walletId: wallet.id, userId: 'u1', productId: 'plan', amount: '999', currency: 'USD' }],
    });
    return env.client.workflow.execute('scheduleRun', { taskQueue, workflowId: `schedule-run-test-${randomUUID()}`, args: [{ scheduleId: SID, envId: '1000', scheduledAt: AT }] });
  });
  expect(result).toMatchObject({ outcome: 'succeeded', movementId: '500000009' });
  expect(acts.payOrder).toHaveBeenCalledTimes(1); // the first payment's only
  expect(acts.findScheduledMovement).toHaveBeenCalledTimes(3);
});
