/**
 * The walletPayments workflow (PAYMENT_COALESCE) with mocked activities: payments that
 * arrive together are posted by one payOrders call, each update gets its own answer
 * (a refusal fails its payment alone), and the workflow continues as new on its bound
 * and carries on taking payments.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, ApplicationFailure } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities';
import type { BatchPayment, BatchPaymentOutcome } from '../../src/activities/topup-payment';
import { withFailureMapping } from '../../src/activities/failures';
import type { PaymentInput, PaymentResult, Wallet } from '../../src/domain/types';
import { startLocalWorkflowEnv } from '../helpers/runtime';
import { readStack } from '../helpers/stack';
import { completedOrder, walletOf } from '../helpers/batch-fixtures';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startLocalWorkflowEnv();
}, 60_000);
afterAll(async () => env?.teardown());

const wallet: Wallet = walletOf('100000001');
const completed = completedOrder;

const payment = (amount: string): PaymentInput => ({ envId: '1000', walletId: wallet.id, userId: 'u1', productId: 'p1', amount, currency: 'USD' });

function payOrdersMock() {
  return jest.fn(async ({ payments }: { payments: BatchPayment[] }): Promise<BatchPaymentOutcome[]> =>
    payments.map((p, i) =>
      p.amount === '999'
        ? { ok: false, type: 'insufficient_funds', message: 'insufficient funds', details: { wallet_id: p.walletId } }
        : { ok: true, result: { order: completed(p, i), wallet } },
    ),
  );
}

test('payments pending together: one payOrders call, each update its own answer, a refusal fails only its own; continue-as-new on the bound carries on', async () => {
  const taskQueue = `wf-test-${randomUUID()}`;
  const workflowId = `wallet-payments-test-${randomUUID()}`;
  const payOrders = payOrdersMock();
  // The workflow is started and five payments are sent before any worker runs: the first
  // workflow task carries all five updates in one activation.
  const handle = await env.client.workflow.start('walletPayments', { taskQueue, workflowId, args: [{ maxPayments: 3 }] });
  const firstRunId = handle.firstExecutionRunId;
  const amounts = ['100', '200', '999', '300', '400'];
  const updates = amounts.map((amount, i) =>
    handle.executeUpdate<PaymentResult, [PaymentInput]>('pay', { args: [payment(amount)], updateId: `payment-1000-key-k${i}` }).then(
      (r) => ({ ok: r }),
      (e: unknown) => ({ err: e }),
    ),
  );
  await new Promise((r) => setTimeout(r, 1500)); // the server admits the five updates
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: readStack().workflowBundlePath },
    activities: withFailureMapping({ payOrders } as unknown as Activities),
  });
  await worker.runUntil(async () => {
    const answers = await Promise.all(updates);
    expect(payOrders).toHaveBeenCalledTimes(1);
    const batch = payOrders.mock.calls[0]![0].payments;
    // All five, in the order the server admitted them (the client sent them concurrently).
    expect(batch.map((p) => p.amount).sort()).toEqual([...amounts].sort());
    // Each payment's own id: the order's workflow id is the update id, its posting's idempotency id follows.
    for (const p of batch) {
      const i = amounts.indexOf(p.amount);
      expect(p.workflowId).toBe(`payment-1000-key-k${i}`);
      expect(p.idempotencyId).toBe(`payment-1000-key-k${i}:charge`);
    }
    answers.forEach((a, i) => {
      if (amounts[i] === '999') {
        const err = (a as { err: unknown }).err;
        expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
        expect((err as WorkflowUpdateFailedError).cause).toBeInstanceOf(ApplicationFailure);
        expect(((err as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('insufficient_funds');
      } else {
        expect((a as { ok: PaymentResult }).ok.order.amount).toBe(amounts[i]);
      }
    });
    // Five payments passed the bound of three: the run continued as new, and the next
    // payment is taken by the new run.
    const sixth = await env.client.workflow
      .getHandle(workflowId)
      .executeUpdate<PaymentResult, [PaymentInput]>('pay', { args: [payment('500')], updateId: 'payment-1000-key-k5' });
    expect(sixth.order.amount).toBe('500');
    expect(payOrders).toHaveBeenCalledTimes(2);
    const described = await env.client.workflow.getHandle(workflowId).describe();
    expect(described.runId).not.toBe(firstRunId);
    const first = await env.client.workflow.getHandle(workflowId, firstRunId).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    await env.client.workflow.getHandle(workflowId).terminate('test over');
  });
}, 60_000);

test('a batch that fails for good fails each of its updates, and the workflow takes the next payment', async () => {
  const taskQueue = `wf-test-${randomUUID()}`;
  const workflowId = `wallet-payments-test-${randomUUID()}`;
  let calls = 0;
  const payOrders = jest.fn(async (input: { payments: BatchPayment[] }) => {
    if (calls++ === 0) throw ApplicationFailure.create({ type: 'database_error', message: 'refused', nonRetryable: true });
    return payOrdersMock()(input);
  });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: readStack().workflowBundlePath },
    activities: withFailureMapping({ payOrders } as unknown as Activities),
  });
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start('walletPayments', { taskQueue, workflowId, args: [{}] });
    await expect(handle.executeUpdate('pay', { args: [payment('100')], updateId: 'a' })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    const ok = await handle.executeUpdate<PaymentResult, [PaymentInput]>('pay', { args: [payment('100')], updateId: 'b' });
    expect(ok.order.amount).toBe('100');
    await handle.terminate('test over');
  });
}, 60_000);
