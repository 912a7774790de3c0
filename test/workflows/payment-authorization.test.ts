/**
 * The payment workflow's authorization path (`"capture": false`) with mocked activities:
 * one decision at a time, a refused decision gives the hold back to the next one or to the
 * expiry, a refused hold records the order failed and fails the update and the workflow.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, WithStartWorkflowOperation, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities';
import { withFailureMapping } from '../../src/activities/failures';
import { DomainError } from '../../src/domain/errors';
import type { Order, PaymentInput, PaymentResult, Wallet } from '../../src/domain/types';
import { authorizationUpdate, captureUpdate, voidUpdate } from '../../src/workflows/payment-messages';
import { startLocalWorkflowEnv } from '../helpers/runtime';
import { readStack } from '../helpers/stack';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startLocalWorkflowEnv();
}, 60_000);
afterAll(async () => env?.teardown());

const wallet: Wallet = { id: '100000001', envId: '1000', userId: 'u1', currency: 'USD', status: 'active', balance: '900', held: '100', createdAt: '2026-01-01T00:00:00.000Z' };
const order = (o: Partial<Order> = {}): Order => ({
  id: '500000001', envId: '1000', walletId: wallet.id, userId: 'u1', productId: 'p1', amount: '100', capturedAmount: '0', refundedAmount: '0',
  currency: 'USD', status: 'authorized', transactionId: null, failureCode: null, expiresAt: null, voidReason: null, createdAt: '2026-01-01T00:00:00.000Z',
  fee: '0', splits: [],
  ...o,
});
const input = (ttlSeconds: number): PaymentInput => ({
  envId: '1000', walletId: wallet.id, userId: 'u1', productId: 'p1', amount: '100', currency: 'USD', authorization: { ttlSeconds },
});
/** The mocked hold answers an expires_at `ttlMs` after now (the server's clock is the test's). */
const authorized = (ttlMs: number) => jest.fn(async () => ({ order: order({ expiresAt: new Date(Date.now() + ttlMs).toISOString() }), wallet }));

async function withWorker<T>(activities: Record<string, jest.Mock>, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `auth-test-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: readStack().workflowBundlePath },
    activities: withFailureMapping(activities as unknown as Activities),
  });
  return worker.runUntil(() => fn(taskQueue));
}

async function start(taskQueue: string, ttlSeconds: number) {
  const workflowId = `payment-${randomUUID()}`;
  const op = new WithStartWorkflowOperation('payment', { taskQueue, workflowId, args: [input(ttlSeconds)], workflowIdConflictPolicy: 'USE_EXISTING' });
  const first = env.client.workflow.executeUpdateWithStart(authorizationUpdate, { startWorkflowOperation: op });
  const handle = await op.workflowHandle();
  return { workflowId, handle, first };
}

const codeOf = (err: unknown) => ((err as WorkflowUpdateFailedError).cause as ApplicationFailure).type;

test('a capture refused by the database (expired by its clock) gives the hold back: the expiry voids it', async () => {
  const acts = {
    authorizePayment: authorized(3_000),
    captureAuthorization: jest.fn(async () => {
      throw new DomainError('authorization_expired', 'expired by the database clock');
    }),
    voidAuthorization: jest.fn(async () => ({ order: order({ status: 'voided', voidReason: 'expired' }), wallet })),
  };
  await withWorker(acts, async (taskQueue) => {
    const { workflowId, handle, first } = await start(taskQueue, 2);
    expect((await first).order.status).toBe('authorized');
    const refused = await handle.executeUpdate(captureUpdate, { args: [{ amount: null, decisionId: null }] }).catch((e: unknown) => e);
    expect(codeOf(refused)).toBe('authorization_expired');
    const result = (await handle.result()) as PaymentResult;
    expect(result.order).toMatchObject({ status: 'voided', voidReason: 'expired' });
    expect(acts.captureAuthorization).toHaveBeenCalledWith({ orderId: '500000001', workflowId, amount: null, decisionId: null });
    expect(acts.voidAuthorization).toHaveBeenCalledTimes(1);
    expect(acts.voidAuthorization).toHaveBeenCalledWith({ orderId: '500000001', workflowId, reason: 'expired', decisionId: null });
  });
});

test('one decision at a time: a void sent while a capture runs is rejected (order_not_authorized); the capture ends the workflow', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const acts = {
    authorizePayment: authorized(3_600_000),
    captureAuthorization: jest.fn(async () => {
      await gate;
      return { order: order({ status: 'completed', capturedAmount: '40', transactionId: '9' }), wallet };
    }),
    voidAuthorization: jest.fn(),
  };
  await withWorker(acts, async (taskQueue) => {
    const { handle, first } = await start(taskQueue, 3600);
    await first;
    const capture = handle.executeUpdate(captureUpdate, { args: [{ amount: '40', decisionId: 'd1' }] });
    // The capture is running (its activity waits on the gate): a void is refused by the validator.
    for (;;) {
      if (acts.captureAuthorization.mock.calls.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const voided = await handle.executeUpdate(voidUpdate, { args: [{ decisionId: 'd2' }] }).catch((e: unknown) => e);
    expect(codeOf(voided)).toBe('order_not_authorized');
    release();
    expect((await capture).order).toMatchObject({ status: 'completed', capturedAmount: '40' });
    const again = await handle.executeUpdate(captureUpdate, { args: [{ amount: null, decisionId: null }] }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(Error);
    expect(((await handle.result()) as PaymentResult).order.status).toBe('completed');
    expect(acts.voidAuthorization).not.toHaveBeenCalled();
  });
});

test('a refused hold records the order failed, fails the authorization update and the workflow with the code', async () => {
  const acts = {
    authorizePayment: jest.fn(async () => {
      throw new DomainError('insufficient_funds', 'not enough');
    }),
    createOrder: jest.fn(async () => order({ status: 'pending' })),
    failOrder: jest.fn(async () => order({ status: 'failed', failureCode: 'insufficient_funds' })),
  };
  await withWorker(acts, async (taskQueue) => {
    const { handle, first } = await start(taskQueue, 60);
    expect(codeOf(await first.catch((e: unknown) => e))).toBe('insufficient_funds');
    const failed = await handle.result().catch((e: unknown) => e);
    expect(((failed as WorkflowFailedError).cause as ApplicationFailure).type).toBe('insufficient_funds');
    expect(acts.failOrder).toHaveBeenCalledWith({ orderId: '500000001', failureCode: 'insufficient_funds' });
  });
});
