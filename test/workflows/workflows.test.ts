/**
 * Workflow logic with mocked activities, on a local Temporal dev server started by
 * TestWorkflowEnvironment from the project's installed CLI (the SDK's own download is
 * not reachable here).
 */
import { randomUUID } from 'node:crypto';
import { DatabaseError } from 'pg';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities';
import { withFailureMapping } from '../../src/activities/failures';
import { DomainError } from '../../src/domain/errors';
import type { Order, PaymentInput, RefundInput, TopupInput, TransferInput, Wallet } from '../../src/domain/types';
import { startLocalWorkflowEnv } from '../helpers/runtime';
import { recordHandleHistory } from '../helpers/record-history';
import { readStack } from '../helpers/stack';
import { walletOf } from '../helpers/batch-fixtures';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startLocalWorkflowEnv();
}, 60_000);
afterAll(async () => env?.teardown());

const wallet: Wallet = walletOf('100000001');
const order = (status: Order['status']): Order => ({
  id: '500000001',
  envId: '1000',
  walletId: wallet.id,
  userId: 'u1',
  productId: 'p1',
  amount: '100',
  capturedAmount: status === 'completed' ? '100' : '0',
  refundedAmount: '0',
  currency: 'USD',
  status,
  transactionId: status === 'completed' ? '77' : null,
  failureCode: null,
  expiresAt: null,
  voidReason: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  fee: '0',
  splits: [],
});

type Mocks = { [K in keyof Activities]: jest.Mock };

function mocks(overrides: Partial<Mocks> = {}): Mocks {
  return {
    topupWallet: jest.fn(async () => ({ transactionId: '1', wallet })),
    createOrder: jest.fn(async () => order('pending')),
    chargeOrder: jest.fn(async () => ({ order: order('completed'), wallet })),
    payOrder: jest.fn(async () => ({ order: order('completed'), wallet })),
    failOrder: jest.fn(async () => ({ ...order('failed'), failureCode: 'insufficient_funds' })),
    ...overrides,
  } as Mocks;
}

async function run<T>(activities: Mocks, workflowType: string, input: unknown): Promise<{ result?: T; error?: unknown; workflowId: string }> {
  const taskQueue = `wf-test-${randomUUID()}`;
  const workflowId = `${workflowType}-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: readStack().workflowBundlePath },
    activities: withFailureMapping(activities as unknown as Activities),
  });
  return worker.runUntil(async () => {
    try {
      const result = await env.client.workflow.execute(workflowType, { taskQueue, workflowId, args: [input] });
      return { result: result as T, workflowId };
    } catch (error) {
      return { error, workflowId };
    }
  });
}

const topupInput: TopupInput = { envId: '1000', walletId: wallet.id, amount: '100', currency: 'USD' };
// The two-step path (createOrder, then chargeOrder): PAYMENT_SINGLE_ACTIVITY=false, and
// every payment history recorded before issue 11. oneStepInput: the default since.
const paymentInput: PaymentInput = { ...topupInput, userId: 'u1', productId: 'p1', twoSteps: true };
const oneStepInput: PaymentInput = { ...topupInput, userId: 'u1', productId: 'p1' };

test('payment (one step, the default): one payOrder with the order and the charge idempotency id, nothing else', async () => {
  const acts = mocks();
  const { result, workflowId } = await run(acts, 'payment', oneStepInput);
  expect(result).toEqual({ order: order('completed'), wallet });
  expect(acts.payOrder).toHaveBeenCalledTimes(1);
  expect(acts.payOrder).toHaveBeenCalledWith({ ...oneStepInput, workflowId, idempotencyId: `${workflowId}:charge` });
  for (const other of [acts.createOrder, acts.chargeOrder, acts.failOrder]) expect(other).not.toHaveBeenCalled();
});

test('payment (one step) refused for insufficient funds: the order is recorded failed with the code, the workflow fails with it', async () => {
  const acts = mocks({
    payOrder: jest.fn(async () => {
      throw new DomainError('insufficient_funds', 'not enough');
    }),
  });
  const { error, workflowId } = await run(acts, 'payment', oneStepInput);
  expect(((error as WorkflowFailedError).cause as ApplicationFailure).type).toBe('insufficient_funds');
  expect(acts.payOrder).toHaveBeenCalledTimes(1);
  expect(acts.createOrder).toHaveBeenCalledWith({ ...oneStepInput, workflowId });
  expect(acts.failOrder).toHaveBeenCalledWith({ orderId: '500000001', failureCode: 'insufficient_funds' });
  expect(acts.chargeOrder).not.toHaveBeenCalled();
});

test('payment (one step) Postgres refuses for good: the order is recorded failed (internal), the workflow fails', async () => {
  const acts = mocks({
    payOrder: jest.fn(async () => {
      throw pgError('23514', 'new row violates check constraint');
    }),
  });
  const { error } = await run(acts, 'payment', oneStepInput);
  expect(((error as WorkflowFailedError).cause as ApplicationFailure).type).toBe('database_error');
  expect(acts.payOrder).toHaveBeenCalledTimes(1);
  expect(acts.failOrder).toHaveBeenCalledWith({ orderId: '500000001', failureCode: 'internal' });
});

test('payment (one step) whose order Postgres cannot hold: fails with that error, no failOrder', async () => {
  const acts = mocks({
    payOrder: jest.fn(async () => {
      throw pgError('22021', 'invalid byte sequence');
    }),
    createOrder: jest.fn(async () => {
      throw pgError('22021', 'invalid byte sequence');
    }),
  });
  const { error } = await run(acts, 'payment', oneStepInput);
  expect(((error as WorkflowFailedError).cause as ApplicationFailure).type).toBe('database_error');
  expect(acts.failOrder).not.toHaveBeenCalled();
});

test('payment (one step) that committed but failed to answer: failOrder finds it completed, the charge replay answers it', async () => {
  const acts = mocks({
    payOrder: jest.fn(async () => {
      throw pgError('22000', 'the answer was lost');
    }),
    failOrder: jest.fn(async () => order('completed')),
  });
  const { result, workflowId } = await run(acts, 'payment', oneStepInput);
  expect(result).toEqual({ order: order('completed'), wallet });
  expect(acts.chargeOrder).toHaveBeenCalledWith({ orderId: '500000001', idempotencyId: `${workflowId}:charge` });
});

test('topup posts once with an idempotency id derived from the workflow id', async () => {
  const acts = mocks();
  const { result, workflowId } = await run(acts, 'topup', topupInput);
  expect(result).toEqual({ transactionId: '1', wallet });
  expect(acts.topupWallet).toHaveBeenCalledTimes(1);
  expect(acts.topupWallet).toHaveBeenCalledWith({ ...topupInput, idempotencyId: `${workflowId}:topup` });
});

test('a refused topup fails the workflow with the refusal code, without retrying', async () => {
  const acts = mocks({
    topupWallet: jest.fn(async () => {
      throw new DomainError('wallet_not_active', 'wallet is suspended');
    }),
  });
  const { error, workflowId } = await run(acts, 'topup', topupInput);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  expect(((error as WorkflowFailedError).cause as ApplicationFailure).type).toBe('wallet_not_active');
  expect(acts.topupWallet).toHaveBeenCalledTimes(1);
  await recordHandleHistory('topup-refused', env.client.workflow.getHandle(workflowId));
});

const transferInput: TransferInput = { envId: '1000', fromWalletId: wallet.id, toWalletId: '100000002', amount: '100000', currency: 'USD', reference: null };

test('a refused transfer fails the workflow with the refusal code, without retrying', async () => {
  const acts = mocks({
    transferFunds: jest.fn(async () => {
      throw new DomainError('insufficient_funds', 'insufficient funds');
    }),
  } as Partial<Mocks>);
  const { error, workflowId } = await run(acts, 'transfer', transferInput);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  expect(((error as WorkflowFailedError).cause as ApplicationFailure).type).toBe('insufficient_funds');
  expect(acts.transferFunds).toHaveBeenCalledTimes(1);
  expect(acts.transferFunds).toHaveBeenCalledWith({ ...transferInput, idempotencyId: `${workflowId}:transfer` });
  await recordHandleHistory('transfer-refused', env.client.workflow.getHandle(workflowId));
});

test('a refused refund fails the workflow with the refusal code, without retrying', async () => {
  const refundInput: RefundInput = { envId: '1000', orderId: '500000001', amount: '1000' };
  const acts = mocks({
    refundOrder: jest.fn(async () => {
      throw new DomainError('conflict', 'refund exceeds what is left to refund on order 500000001');
    }),
  } as Partial<Mocks>);
  const { error, workflowId } = await run(acts, 'refund', refundInput);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  expect(((error as WorkflowFailedError).cause as ApplicationFailure).type).toBe('conflict');
  expect(acts.refundOrder).toHaveBeenCalledTimes(1);
  expect(acts.refundOrder).toHaveBeenCalledWith({ ...refundInput, idempotencyId: `${workflowId}:refund` });
  await recordHandleHistory('refund-refused', env.client.workflow.getHandle(workflowId));
});

test('payment: order created for this workflow, charged once, completed', async () => {
  const acts = mocks();
  const { result, workflowId } = await run(acts, 'payment', paymentInput);
  expect(result).toEqual({ order: order('completed'), wallet });
  expect(acts.createOrder).toHaveBeenCalledWith({ ...paymentInput, workflowId });
  expect(acts.chargeOrder).toHaveBeenCalledWith({ orderId: '500000001', idempotencyId: `${workflowId}:charge` });
  expect(acts.failOrder).not.toHaveBeenCalled();
});

test('payment refused for insufficient funds: order failed with the code, workflow fails with it', async () => {
  const acts = mocks({
    chargeOrder: jest.fn(async () => {
      throw new DomainError('insufficient_funds', 'not enough', { wallet_id: wallet.id });
    }),
  });
  const { error } = await run(acts, 'payment', paymentInput);
  const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
  expect(cause.type).toBe('insufficient_funds');
  expect(cause.details).toEqual([{ wallet_id: wallet.id }]);
  expect(acts.chargeOrder).toHaveBeenCalledTimes(1);
  expect(acts.failOrder).toHaveBeenCalledWith({ orderId: '500000001', failureCode: 'insufficient_funds' });
});

test('payment: an infrastructure error is retried with the same idempotency id, and charges once', async () => {
  let calls = 0;
  const acts = mocks({
    chargeOrder: jest.fn(async () => {
      calls += 1;
      if (calls < 3) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      return { order: order('completed'), wallet };
    }),
  });
  const { result, workflowId } = await run(acts, 'payment', paymentInput);
  expect(result).toEqual({ order: order('completed'), wallet });
  expect(acts.chargeOrder).toHaveBeenCalledTimes(3);
  for (const call of acts.chargeOrder.mock.calls) expect(call[0].idempotencyId).toBe(`${workflowId}:charge`);
  expect(acts.failOrder).not.toHaveBeenCalled();
});

/** What pg throws when Postgres refuses a statement with that SQLSTATE. */
const pgError = (code: string, message: string) => Object.assign(new DatabaseError(message, 0, 'error'), { code });

test('a topup Postgres refuses for good (22021, a NUL in text) is not retried: the workflow fails with database_error', async () => {
  const acts = mocks({
    topupWallet: jest.fn(async () => {
      throw pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00');
    }),
  });
  const { error } = await run(acts, 'topup', topupInput);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  expect(((error as WorkflowFailedError).cause as ApplicationFailure).type).toBe('database_error');
  expect(acts.topupWallet).toHaveBeenCalledTimes(1);
});

test('a deadlock (40P01) or a serialization failure (40001) is retried', async () => {
  let calls = 0;
  const acts = mocks({
    topupWallet: jest.fn(async () => {
      calls += 1;
      if (calls === 1) throw pgError('40P01', 'deadlock detected');
      if (calls === 2) throw pgError('40001', 'could not serialize access');
      return { transactionId: '1', wallet };
    }),
  });
  const { result } = await run(acts, 'topup', topupInput);
  expect(result).toEqual({ transactionId: '1', wallet });
  expect(acts.topupWallet).toHaveBeenCalledTimes(3);
});

test('payment whose charge Postgres refuses for good: charged once, the order marked failed (internal), the workflow fails', async () => {
  const acts = mocks({
    chargeOrder: jest.fn(async () => {
      throw pgError('23514', 'new row violates check constraint');
    }),
  });
  const { error } = await run(acts, 'payment', paymentInput);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  expect(((error as WorkflowFailedError).cause as ApplicationFailure).type).toBe('database_error');
  expect(acts.chargeOrder).toHaveBeenCalledTimes(1);
  expect(acts.failOrder).toHaveBeenCalledWith({ orderId: '500000001', failureCode: 'internal' });
});

test('payment whose charge committed but failed to answer: failOrder finds it completed, the charge replay answers it', async () => {
  let calls = 0;
  const acts = mocks({
    chargeOrder: jest.fn(async () => {
      calls += 1;
      if (calls === 1) throw pgError('22000', 'the answer was lost');
      return { order: order('completed'), wallet };
    }),
    failOrder: jest.fn(async () => order('completed')),
  });
  const { result, workflowId } = await run(acts, 'payment', paymentInput);
  expect(result).toEqual({ order: order('completed'), wallet });
  expect(acts.chargeOrder).toHaveBeenCalledTimes(2);
  for (const call of acts.chargeOrder.mock.calls) expect(call[0].idempotencyId).toBe(`${workflowId}:charge`);
});

test('webhook delivery retries a refusing receiver with backoff and gives up once the waiting budget is spent', async () => {
  const attemptWebhookDelivery = jest.fn(async (_input: { deliveryId: string; attempt: number }) => ({ done: false, delivered: false }));
  const failWebhookDelivery = jest.fn(async () => undefined);
  // Waits of 100, 200, 400 ms use 700 of the 1000 ms budget; the next (800) would pass it.
  const { result, workflowId } = await run<{ delivered: boolean; attempts: number }>(
    mocks({ attemptWebhookDelivery, failWebhookDelivery } as Partial<Mocks>),
    'webhookDelivery',
    { deliveryId: 'd1', initialIntervalMs: 100, backoffCoefficient: 2, maxIntervalMs: 10_000, maxElapsedMs: 1_000 },
  );
  expect(result).toEqual({ delivered: false, attempts: 4 });
  expect(attemptWebhookDelivery.mock.calls.map(([input]) => input.attempt)).toEqual([1, 2, 3, 4]);
  expect(failWebhookDelivery).toHaveBeenCalledTimes(1);
  await recordHandleHistory('webhook-delivery-given-up', env.client.workflow.getHandle(workflowId));
});

test('webhook delivery stops at the first 2xx and does not mark the delivery failed', async () => {
  const attemptWebhookDelivery = jest
    .fn()
    .mockResolvedValueOnce({ done: false, delivered: false })
    .mockResolvedValueOnce({ done: true, delivered: true });
  const failWebhookDelivery = jest.fn(async () => undefined);
  const { result } = await run<{ delivered: boolean; attempts: number }>(
    mocks({ attemptWebhookDelivery, failWebhookDelivery } as Partial<Mocks>),
    'webhookDelivery',
    { deliveryId: 'd2', initialIntervalMs: 50, maxElapsedMs: 10_000 },
  );
  expect(result).toEqual({ delivered: true, attempts: 2 });
  expect(failWebhookDelivery).not.toHaveBeenCalled();
});
