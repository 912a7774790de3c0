/**
 * The withdraw workflow with mocked activities (test/workflows/withdraw-fakes.ts) on a
 * local Temporal dev server: each path ends with the fake ledger exact.
 */
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { CancelledFailure, type ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { WithdrawInput, WithdrawalProgress } from '../../src/domain/withdrawals';
import {
  accountReadySignal,
  cancelUpdate,
  payoutOutcomeSignal,
  progressQuery,
  refreshLinkUpdate,
  withdrawalUrlUpdate,
} from '../../src/workflows/withdraw-messages';
import { recordHandleHistory } from '../helpers/record-history';
import { readStack } from '../helpers/stack';
import { callsOf, expectExact, fakeActivities, newWorld, type World } from './withdraw-fakes';

const taskQueue = 'withdraw-test';
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let world: World;
const START = 10_000n;

beforeAll(async () => {
  const stack = readStack();
  env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: stack.temporalPath } } });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: stack.workflowBundlePath },
    activities: fakeActivities(() => world),
  });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

beforeEach(() => {
  world = newWorld(START);
});
afterEach(() => expectExact(world, START));

const input = (waits: Partial<WithdrawInput> = {}): WithdrawInput => ({
  envId: '1',
  walletId: '100000001',
  userId: 'u1',
  amount: '2500',
  currency: 'USD',
  ...waits,
});

/** POST /wallet/withdraw's call: update-with-start, answered once the URL exists. */
async function start(waits: Partial<WithdrawInput> = {}) {
  const workflowId = `withdraw-test-${randomUUID()}`;
  const operation = new WithStartWorkflowOperation('withdraw', {
    workflowId,
    taskQueue,
    args: [input(waits)],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  const progress = await env.client.workflow.executeUpdateWithStart(withdrawalUrlUpdate, { startWorkflowOperation: operation });
  const handle = await operation.workflowHandle();
  return { progress, handle, workflowId };
}

async function until(check: () => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out; world: ${JSON.stringify(world, (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Set || v instanceof Map ? [...v] : v))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('happy path: URL at once, onboarding signal, transfer, payout, paid signal, settle', async () => {
  const { progress, handle, workflowId } = await start();
  expect(progress).toEqual({ withdrawalId: '700000001', status: 'awaiting_onboarding', url: expect.stringContaining('/setup/'), fee: '0' });
  expect(world).toMatchObject({ balance: START - 2500n, held: 2500n });
  expect(await handle.query(progressQuery)).toMatchObject({ status: 'awaiting_onboarding' });

  await handle.signal(accountReadySignal, { source: 'test' });
  await until(() => callsOf(world, 'payouts.create').length === 1);
  await handle.signal(payoutOutcomeSignal, { payoutId: 'po_4', status: 'paid' });
  const result: WithdrawalProgress = await handle.result();
  expect(result.status).toBe('paid');
  expect(world).toMatchObject({ balance: START - 2500n, held: 0n, paidOut: 2500n });
  expect(world.steps).toEqual([
    'funds_held', 'account', 'onboarding_link_created', 'onboarding_complete', 'processing',
    'transfer_created', 'payout_created', 'payout_paid', 'paid_out',
  ]);
  expect(callsOf(world, 'transfers.create')).toEqual([{ name: 'transfers.create', key: `${workflowId}:transfer` }]);
  expect(callsOf(world, 'payouts.create')).toEqual([{ name: 'payouts.create', key: `${workflowId}:payout` }]);
});

test('an account that can already receive payouts gets the dashboard link and goes straight on', async () => {
  world.payoutsEnabled = true;
  const { progress, handle } = await start();
  expect(progress.url).toContain('/express/');
  await until(() => callsOf(world, 'payouts.create').length === 1);
  await handle.signal(payoutOutcomeSignal, { payoutId: 'po_4', status: 'paid' });
  expect((await handle.result()).status).toBe('paid');
});

test('onboarding timeout: the hold is released and the withdrawal expires', async () => {
  const { handle } = await start({ onboardingTimeoutMs: 300 });
  const result = await handle.result();
  expect(result.status).toBe('expired');
  expect(world).toMatchObject({ balance: START, held: 0n });
  expect(callsOf(world, 'transfers.create')).toHaveLength(0);
  await recordHandleHistory('withdraw-onboarding-timed-out', handle);
});

test('cancel before the transfer: released, no transfer; cancel after the transfer is refused', async () => {
  const first = await start();
  const canceled = await first.handle.executeUpdate(cancelUpdate);
  expect(canceled.status).toBe('canceled');
  expect((await first.handle.result()).status).toBe('canceled');
  expect(world).toMatchObject({ balance: START, held: 0n });
  expect(callsOf(world, 'transfers.create')).toHaveLength(0);
  await recordHandleHistory('withdraw-canceled', first.handle);

  world = newWorld(START);
  const second = await start();
  await second.handle.signal(accountReadySignal, { source: 'test' });
  await until(() => callsOf(world, 'transfers.create').length === 1);
  const late = await second.handle.executeUpdate(cancelUpdate).catch((e: unknown) => e);
  expect(late).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(((late as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('conflict');
  await until(() => callsOf(world, 'payouts.create').length === 1);
  await second.handle.signal(payoutOutcomeSignal, { payoutId: 'po_4', status: 'paid' });
  expect((await second.handle.result()).status).toBe('paid');
});

test('payout failed: the transfer is reversed once and the hold released', async () => {
  const { handle, workflowId } = await start();
  await handle.signal(accountReadySignal, { source: 'test' });
  await until(() => callsOf(world, 'payouts.create').length === 1);
  await handle.signal(payoutOutcomeSignal, { payoutId: 'po_4', status: 'failed', failureCode: 'account_closed', failureMessage: 'closed' });
  const result = await handle.result();
  expect(result.status).toBe('failed');
  expect(world.withdrawal!.failureCode).toBe('account_closed');
  expect(callsOf(world, 'transfers.createReversal')).toEqual([{ name: 'transfers.createReversal', key: `${workflowId}:reversal` }]);
  expect(world).toMatchObject({ balance: START, held: 0n, paidOut: 0n });
});

test('a refused payout also reverses the transfer and releases', async () => {
  world.failures.payoutRefused = 1;
  const { handle } = await start();
  await handle.signal(accountReadySignal, { source: 'test' });
  expect((await handle.result()).status).toBe('failed');
  expect(callsOf(world, 'transfers.createReversal')).toHaveLength(1);
  expect(world).toMatchObject({ balance: START, held: 0n });
});

test('Stripe 500 on the transfer, then success: one transfer, the same idempotency key both times', async () => {
  world.failures.transfer500 = 1;
  const { handle, workflowId } = await start();
  await handle.signal(accountReadySignal, { source: 'test' });
  await until(() => callsOf(world, 'payouts.create').length === 1);
  const transfers = callsOf(world, 'transfers.create');
  expect(transfers).toHaveLength(2);
  expect(new Set(transfers.map((c) => c.key))).toEqual(new Set([`${workflowId}:transfer`]));
  expect([...world.created.keys()].filter((k) => k.endsWith(':transfer'))).toHaveLength(1);
  await handle.signal(payoutOutcomeSignal, { payoutId: 'po_4', status: 'paid' });
  expect((await handle.result()).status).toBe('paid');
});

test('Stripe refuses the transfer (invalid request): no retry, the hold is released', async () => {
  world.failures.transferRefused = 1;
  const { handle } = await start();
  await handle.signal(accountReadySignal, { source: 'test' });
  const result = await handle.result();
  expect(result.status).toBe('failed');
  expect(callsOf(world, 'transfers.create')).toHaveLength(1);
  expect(world).toMatchObject({ balance: START, held: 0n });
});

test('duplicate and out-of-order webhooks: one effect each', async () => {
  const { handle } = await start();
  // payout.paid arrives before the payout's id is known to the workflow (and twice).
  // (A payout.failed after payout.paid is no duplicate: its own test below.)
  await handle.signal(payoutOutcomeSignal, { payoutId: 'po_4', status: 'paid' });
  await handle.signal(payoutOutcomeSignal, { payoutId: 'po_4', status: 'paid' });
  await handle.signal(accountReadySignal, { source: 'account.updated' });
  await handle.signal(accountReadySignal, { source: 'return_url' });
  const result = await handle.result();
  expect(result.status).toBe('paid');
  expect(callsOf(world, 'transfers.create')).toHaveLength(1);
  expect(callsOf(world, 'payouts.create')).toHaveLength(1);
  expect(world.steps.filter((s) => s === 'paid_out')).toHaveLength(1);
  expect(world).toMatchObject({ paidOut: 2500n, held: 0n });
});

test('no payout webhook: the workflow polls the payout and settles', async () => {
  world.polledStatus = 'paid';
  const { handle } = await start({ payoutPollIntervalMs: 200 });
  await handle.signal(accountReadySignal, { source: 'test' });
  expect((await handle.result()).status).toBe('paid');
  expect(callsOf(world, 'payouts.retrieve').length).toBeGreaterThanOrEqual(1);
  await recordHandleHistory('withdraw-payout-polled', handle);
});

test('payout never settles: the wait is bounded, polls fill it, the withdrawal needs attention with its hold', async () => {
  // polledStatus stays 'in_transit': neither a webhook nor a poll gives an outcome.
  const { handle } = await start({ payoutPollIntervalMs: 200, payoutTimeoutMs: 700 });
  await handle.signal(accountReadySignal, { source: 'test' });
  // The workflow completes (no failed workflow nobody hears of): the withdrawal is handed to an operator.
  const result = await handle.result();
  expect(result.status).toBe('needs_attention');
  expect(world.attention).toBe('payout_timed_out');
  expect(world.withdrawal!.failureCode).toBe('payout_timeout');
  expect(world.steps.at(-1)).toBe('needs_attention');
  // 700 ms of waiting in slices of 200, 200, 200 and 100 ms, a poll after each; then it ends.
  expect(callsOf(world, 'payouts.retrieve')).toHaveLength(4);
  // The money left with the transfer: it is neither released nor settled blindly.
  expect(world).toMatchObject({ held: 2500n, paidOut: 0n });
});

test('Stripe refuses the transfer reversal after a failed payout: needs attention, the hold stays', async () => {
  world.failures.reversalRefused = 1;
  const { handle } = await start();
  await handle.signal(accountReadySignal, { source: 'test' });
  await until(() => callsOf(world, 'payouts.create').length === 1);
  await handle.signal(payoutOutcomeSignal, { payoutId: 'po_4', status: 'failed', failureCode: 'account_closed', failureMessage: 'closed' });
  const result = await handle.result();
  expect(result.status).toBe('needs_attention');
  expect(world.attention).toBe('reversal_refused');
  expect(callsOf(world, 'transfers.createReversal')).toHaveLength(1); // a refusal is not retried
  expect(world).toMatchObject({ balance: START - 2500n, held: 2500n, paidOut: 0n });
  expect(world.steps).not.toContain('funds_released');
  await recordHandleHistory('withdraw-reversal-refused', handle);
});

test('payout.failed after payout.paid: settled, then the withdrawal needs attention', async () => {
  const { handle } = await start();
  await handle.signal(accountReadySignal, { source: 'test' });
  await until(() => callsOf(world, 'payouts.create').length === 1);
  await handle.signal(payoutOutcomeSignal, { payoutId: 'po_4', status: 'paid' });
  await handle.signal(payoutOutcomeSignal, { payoutId: 'po_4', status: 'failed', failureCode: 'account_closed', failureMessage: 'returned by the bank' });
  const result = await handle.result();
  expect(result.status).toBe('needs_attention');
  expect(world.attention).toBe('payout_failed_after_paid');
  // (The fake appends a step on every call: a local activity run again by a retried task shows twice.)
  expect(world.steps.at(-1)).toBe('needs_attention');
  expect(world.steps.indexOf('paid_out')).toBeGreaterThan(world.steps.indexOf('payout_paid'));
  expect(world).toMatchObject({ held: 0n, paidOut: 2500n });
  await recordHandleHistory('withdraw-payout-failed-after-paid', handle);
});

test('Temporal cancel (Web UI, temporal workflow cancel) before the transfer: the hold is released, the workflow ends Canceled', async () => {
  const { handle } = await start();
  await handle.cancel();
  const err = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  expect(world.withdrawal!.status).toBe('canceled');
  expect(world.steps.at(-1)).toBe('funds_released');
  expect(world).toMatchObject({ balance: START, held: 0n, inFlight: 0n });
  expect(callsOf(world, 'transfers.create')).toHaveLength(0);
});

test('Temporal cancel after the transfer: ignored, noted in the timeline, the saga runs to its end', async () => {
  const { handle } = await start();
  await handle.signal(accountReadySignal, { source: 'test' });
  await until(() => callsOf(world, 'payouts.create').length === 1);
  await handle.cancel();
  await until(() => world.steps.includes('cancel_ignored'));
  await handle.signal(payoutOutcomeSignal, { payoutId: 'po_4', status: 'paid' });
  const result = await handle.result();
  expect(result.status).toBe('paid');
  const at = (step: string) => world.steps.indexOf(step);
  expect(at('cancel_ignored')).toBeGreaterThan(at('transfer_created'));
  expect(at('cancel_ignored')).toBeLessThan(at('payout_paid'));
  expect(world.steps.slice(-2)).toEqual(['payout_paid', 'paid_out']);
  expect(world).toMatchObject({ held: 0n, paidOut: 2500n });
});

test('the refresh link is bounded: past maxLinkRefreshes the update is refused with conflict', async () => {
  const { handle } = await start({ maxLinkRefreshes: 2 });
  expect((await handle.executeUpdate(refreshLinkUpdate)).url).toContain('/setup/');
  expect((await handle.executeUpdate(refreshLinkUpdate)).url).toContain('/setup/');
  const third = await handle.executeUpdate(refreshLinkUpdate).catch((e: unknown) => e);
  expect(third).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(((third as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('conflict');
  expect(callsOf(world, 'accountLinks.create')).toHaveLength(3); // the first link and two refreshes
  expect((await handle.executeUpdate(cancelUpdate)).status).toBe('canceled');
});

test('insufficient funds: the update fails with the code and nothing is held', async () => {
  world.failures.insufficientFunds = 1;
  const err = await start().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(((err as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('insufficient_funds');
  expect(world).toMatchObject({ balance: START, held: 0n });
  expect(callsOf(world, 'accounts.create')).toHaveLength(0);
});
