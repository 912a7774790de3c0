/**
 * The cardTopup workflow with in-memory activities on a local Temporal dev server, for
 * the branches stripe-mock cannot reach (a success racing the expiry, a balance
 * transaction still pending, Stripe refusing the PaymentIntent, a closed wallet, the
 * clearing wait given up). Each run's history is kept for the replay test with
 * RECORD_HISTORIES=1.
 */
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { CardTopup, CardTopupInput, PaymentIntentOutcome } from '../../src/domain/card-topups';
import type { Wallet } from '../../src/domain/types';
import { cardTopupStartedUpdate, paymentIntentOutcomeSignal } from '../../src/workflows/card-topup-messages';
import { recordHandleHistory } from '../helpers/record-history';
import { readStack } from '../helpers/stack';
import { startLocalWorkflowEnv } from '../helpers/runtime';

const taskQueue = 'card-topup-test';
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;

interface World {
  topup: CardTopup;
  /** The outcome the webhook wrote on the row (the expiry's arbiter). */
  rowOutcome: PaymentIntentOutcome['status'] | null;
  walletClosed: boolean;
  balance: bigint;
  clearing: bigint;
  stripeBalance: bigint;
  postings: Set<string>;
  steps: string[];
  /** Balance transaction statuses handed out in turn (the last one repeats). */
  funds: ('pending' | 'available')[];
  refuseIntent: boolean;
  calls: string[];
}
let world: World;

const wallet: Wallet = { id: '100000001', envId: '1', userId: 'u1', currency: 'USD', status: 'active', balance: '0', held: '0', createdAt: '2026-01-01T00:00:00.000Z' };

function newWorld(): World {
  return {
    topup: {
      id: '800000001', envId: '1', walletId: wallet.id, userId: 'u1', amount: '2500', currency: 'USD', status: 'requires_payment', workflowId: '',
      paymentIntentId: null, clientSecret: null, expiresAt: null, creditTransactionId: null, availableAt: null, stripeBalanceTransactionId: null,
      stripeFee: null, stripeFeeCurrency: null, failureCode: null, failureMessage: null, attentionReason: null,
      createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z',
    },
    rowOutcome: null, walletClosed: false, balance: 0n, clearing: 0n, stripeBalance: 0n, postings: new Set(), steps: [],
    funds: ['available'], refuseIntent: false, calls: [],
  };
}

function fakeActivities() {
  const step = (s: string) => {
    if (!world.steps.includes(s)) world.steps.push(s);
  };
  return {
    async createCardTopup(input: { workflowId: string }) {
      world.topup.workflowId = input.workflowId;
      step('created');
      return { topup: { ...world.topup }, wallet };
    },
    async createPaymentIntent(input: { idempotencyKey: string }) {
      world.calls.push(`paymentIntents.create ${input.idempotencyKey}`);
      if (world.refuseIntent) {
        throw ApplicationFailure.create({ type: 'provider_error', message: 'Stripe refused: Invalid currency', nonRetryable: true });
      }
      return { paymentIntentId: 'pi_fake', clientSecret: 'pi_fake_secret' };
    },
    async openCardTopup(input: { paymentIntentId: string; clientSecret: string }) {
      step('payment_intent_created');
      Object.assign(world.topup, { paymentIntentId: input.paymentIntentId, clientSecret: input.clientSecret, expiresAt: '2026-01-02T00:00:00.000Z' });
      return { ...world.topup };
    },
    async failCardTopup(input: { failureCode?: string | null }) {
      if (world.topup.status !== 'requires_payment') return { ...world.topup };
      step('failed');
      Object.assign(world.topup, { status: 'failed', failureCode: world.topup.failureCode ?? input.failureCode ?? null });
      return { ...world.topup };
    },
    async expireCardTopup() {
      if (world.topup.status === 'requires_payment' && world.rowOutcome === null) {
        step('expired');
        world.topup.status = 'expired';
        return { expired: true, outcome: null, failureCode: null };
      }
      return { expired: world.topup.status === 'expired', outcome: world.rowOutcome, failureCode: world.topup.failureCode };
    },
    async creditCardTopup(input: { idempotencyId: string }) {
      if (world.topup.status === 'completed') return { topup: { ...world.topup }, credited: true };
      if (world.walletClosed) {
        step('needs_attention');
        Object.assign(world.topup, { status: 'needs_attention', attentionReason: 'wallet_closed' });
        return { topup: { ...world.topup }, credited: false };
      }
      if (!world.postings.has(input.idempotencyId)) {
        world.postings.add(input.idempotencyId);
        world.balance += 2500n;
        world.clearing -= 2500n;
      }
      step('credited');
      Object.assign(world.topup, { status: 'completed', creditTransactionId: '1' });
      return { topup: { ...world.topup }, credited: true };
    },
    async retrieveCardFunds() {
      world.calls.push('paymentIntents.retrieve');
      const status = world.funds.length > 1 ? world.funds.shift()! : world.funds[0]!;
      return { status, balanceTransactionId: 'txn_fake', waitMs: 0, fee: '103', feeCurrency: 'USD' };
    },
    async clearCardTopup(input: { idempotencyId: string }) {
      if (!world.postings.has(input.idempotencyId)) {
        world.postings.add(input.idempotencyId);
        world.clearing += 2500n;
        world.stripeBalance -= 2500n;
      }
      step('funds_available');
      world.topup.availableAt = '2026-01-03T00:00:00.000Z';
      return { ...world.topup };
    },
    async recordCardTopupStep(input: { step: string }) {
      step(input.step);
    },
    async cancelPaymentIntent(input: { idempotencyKey: string }) {
      world.calls.push(`paymentIntents.cancel ${input.idempotencyKey}`);
      step('payment_intent_canceled');
      return { canceled: true };
    },
  };
}

beforeAll(async () => {
  const stack = readStack();
  env = await startLocalWorkflowEnv();
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: stack.workflowBundlePath },
    activities: fakeActivities(),
  });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

beforeEach(() => {
  world = newWorld();
});

const input = (extra: Partial<CardTopupInput> = {}): CardTopupInput => ({ envId: '1', walletId: wallet.id, userId: 'u1', amount: '2500', currency: 'USD', ...extra });

async function start(extra: Partial<CardTopupInput> = {}) {
  const workflowId = `card-topup-test-${randomUUID()}`;
  const operation = new WithStartWorkflowOperation('cardTopup', { workflowId, taskQueue, args: [input(extra)], workflowIdConflictPolicy: 'USE_EXISTING' });
  const started = env.client.workflow.executeUpdateWithStart(cardTopupStartedUpdate, { startWorkflowOperation: operation });
  return { started, handle: await operation.workflowHandle(), workflowId };
}

test('a success the webhook recorded while the expiry timer fired is credited, not expired', async () => {
  const { started, handle } = await start({ ttlMs: 1_500 });
  expect((await started).topup).toMatchObject({ status: 'requires_payment', paymentIntentId: 'pi_fake' });
  // The webhook wrote the outcome on the row; its signal has not reached the workflow.
  world.rowOutcome = 'succeeded';
  await handle.result();
  expect(world.steps).toEqual(['created', 'payment_intent_created', 'credited', 'funds_available']);
  expect(world.calls.filter((c) => c.startsWith('paymentIntents.cancel'))).toEqual([]);
  expect({ balance: world.balance, clearing: world.clearing, stripeBalance: world.stripeBalance }).toEqual({ balance: 2500n, clearing: 0n, stripeBalance: -2500n });
  await recordHandleHistory('card-topup-success-raced-expiry', handle);
});

test('a pending balance transaction: the money stays in clearing until Stripe says available', async () => {
  world.funds = ['pending', 'pending', 'available'];
  const { started, handle } = await start({ clearingPollMs: 100 });
  await started;
  await handle.signal(paymentIntentOutcomeSignal, { status: 'succeeded', eventId: 'evt_1' });
  await handle.result();
  expect(world.calls.filter((c) => c === 'paymentIntents.retrieve')).toHaveLength(3);
  expect(world.steps).toEqual(['created', 'payment_intent_created', 'credited', 'funds_available']);
  expect(world.clearing).toBe(0n);
  await recordHandleHistory('card-topup-clearing-pending', handle);
});

test('the clearing wait is bounded: after clearingTimeoutMs the money stays in clearing, recorded', async () => {
  world.funds = ['pending'];
  const { started, handle } = await start({ clearingPollMs: 100, clearingTimeoutMs: 250 });
  await started;
  await handle.signal(paymentIntentOutcomeSignal, { status: 'succeeded', eventId: 'evt_1' });
  await handle.result();
  expect(world.steps).toEqual(['created', 'payment_intent_created', 'credited', 'clearing_timed_out']);
  expect({ balance: world.balance, clearing: world.clearing }).toEqual({ balance: 2500n, clearing: -2500n });
  await recordHandleHistory('card-topup-clearing-timed-out', handle);
});

test('Stripe refusing the PaymentIntent: the update fails with provider_error and the top-up is failed', async () => {
  world.refuseIntent = true;
  const { started, handle } = await start();
  const err = await started.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(((err as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('provider_error');
  await expect(handle.result()).rejects.toThrow();
  expect(world.topup).toMatchObject({ status: 'failed', failureCode: 'provider_error' });
  expect(world.balance).toBe(0n);
  await recordHandleHistory('card-topup-intent-refused', handle);
});

test('a wallet closed before the success: not credited, needs_attention, no clearing', async () => {
  world.walletClosed = true;
  const { started, handle } = await start();
  await started;
  await handle.signal(paymentIntentOutcomeSignal, { status: 'succeeded', eventId: 'evt_1' });
  await handle.result();
  expect(world.topup).toMatchObject({ status: 'needs_attention', attentionReason: 'wallet_closed' });
  expect(world.calls).not.toContain('paymentIntents.retrieve');
  expect(world.balance).toBe(0n);
  await recordHandleHistory('card-topup-wallet-closed', handle);
});

test('a second outcome signal changes nothing: the first wins', async () => {
  const { started, handle } = await start();
  await started;
  await handle.signal(paymentIntentOutcomeSignal, { status: 'canceled', eventId: 'evt_1' });
  await handle.signal(paymentIntentOutcomeSignal, { status: 'succeeded', eventId: 'evt_2' });
  await handle.result();
  expect(world.topup.status).toBe('failed');
  expect(world.balance).toBe(0n);
});
