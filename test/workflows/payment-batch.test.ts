/**
 * The paymentBatch workflow (PAYMENT_BATCH) with mocked activities: one payOrders call
 * for every payment of the batch, each with its own order workflow id and ledger
 * idempotency id (those its own payment workflow would have used), every outcome
 * returned in input order (a refusal is one item's outcome, not the workflow's failure),
 * and a step that fails for good fails the workflow.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities';
import type { BatchPayment, BatchPaymentOutcome } from '../../src/activities/topup-payment';
import { withFailureMapping } from '../../src/activities/failures';
import type { PaymentInput } from '../../src/domain/types';
import { startLocalWorkflowEnv } from '../helpers/runtime';
import { readStack } from '../helpers/stack';
import { completedOrder, walletOf } from '../helpers/batch-fixtures';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startLocalWorkflowEnv();
}, 60_000);
afterAll(async () => env?.teardown());

const completed = completedOrder;
const payment = (walletId: string, amount: string): PaymentInput => ({ envId: '1000', walletId, userId: 'u1', productId: 'p1', amount, currency: 'USD' });

async function withWorker<T>(payOrders: jest.Mock, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `wf-test-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: readStack().workflowBundlePath },
    activities: withFailureMapping({ payOrders } as unknown as Activities),
  });
  return worker.runUntil(() => fn(taskQueue));
}

test('one payOrders call for the whole batch; each payment its own ids; outcomes in input order, a refusal only its own', async () => {
  const payOrders = jest.fn(async ({ payments }: { payments: BatchPayment[] }): Promise<BatchPaymentOutcome[]> =>
    payments.map((p, i) =>
      p.amount === '999'
        ? { ok: false, type: 'insufficient_funds', message: 'insufficient funds', details: { wallet_id: p.walletId } }
        : { ok: true, result: { order: completed(p, i), wallet: walletOf(p.walletId) } },
    ),
  );
  const payments = [
    { paymentId: 'payment-1000-key-a', input: payment('100000009', '100') },
    { paymentId: 'payment-1000-key-b', input: payment('100000002', '999') },
    { paymentId: 'payment-1000-uuid-c', input: payment('100000005', '300') },
  ];
  const outcomes = await withWorker(payOrders, (taskQueue) =>
    env.client.workflow.execute('paymentBatch', { taskQueue, workflowId: `payment-batch-test-${randomUUID()}`, args: [{ payments }] }),
  );
  expect(payOrders).toHaveBeenCalledTimes(1);
  const sent = payOrders.mock.calls[0]![0].payments as BatchPayment[];
  expect(sent.map((p) => [p.workflowId, p.idempotencyId, p.walletId, p.amount])).toEqual([
    ['payment-1000-key-a', 'payment-1000-key-a:charge', '100000009', '100'],
    ['payment-1000-key-b', 'payment-1000-key-b:charge', '100000002', '999'],
    ['payment-1000-uuid-c', 'payment-1000-uuid-c:charge', '100000005', '300'],
  ]);
  expect(outcomes.map((o: BatchPaymentOutcome) => (o.ok ? o.result.order.amount : o.type))).toEqual(['100', 'insufficient_funds', '300']);
}, 60_000);

test('a step that fails for good fails the batch workflow', async () => {
  const payOrders = jest.fn(async () => {
    throw ApplicationFailure.create({ type: 'database_error', message: 'refused', nonRetryable: true });
  });
  await withWorker(payOrders, async (taskQueue) => {
    const run = env.client.workflow.execute('paymentBatch', {
      taskQueue,
      workflowId: `payment-batch-test-${randomUUID()}`,
      args: [{ payments: [{ paymentId: 'p1', input: payment('100000001', '1') }, { paymentId: 'p2', input: payment('100000002', '1') }] }],
    });
    await expect(run).rejects.toBeInstanceOf(WorkflowFailedError);
  });
  expect(payOrders).toHaveBeenCalledTimes(1);
}, 60_000);
