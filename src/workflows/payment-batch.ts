/**
 * Payments batched at the API (PAYMENT_BATCH, src/api/payment-batcher.ts): concurrent
 * payments of one environment, on any wallets, posted by ONE local activity in ONE SQL
 * transaction (payOrders: each payment in a savepoint, decided in wallet id order), so
 * Temporal's fixed cost per movement — a start, a workflow task, a result, the
 * visibility writes — is paid once per batch instead of once per payment.
 *
 * Each payment keeps what its own `payment` workflow would have given it: its order's
 * workflow id is the payment's id (the id workflowIdFor names, the answer's Workflow-Id)
 * and its ledger idempotency id `ledgerStepId(paymentId, 'charge')`. So a retried request,
 * run alone or in another batch, finds the same order and posting and answers the same.
 * A refusal fails that payment alone (its outcome); the API answers each its own. Should
 * the step fail for good (its retry budget spent), the workflow fails and every payment
 * of it is answered as a workflow failed for good.
 */
import type { BatchPaymentOutcome } from '../activities/topup-payment';
import { ledgerStepId } from '../domain/postings';
import type { PaymentInput } from '../domain/types';
import { database } from './options';

export interface PaymentBatchInput {
  /** Each payment's id (the order's workflow id) and its input, as a `payment` workflow gets it. */
  payments: { paymentId: string; input: PaymentInput }[];
}

export async function paymentBatch(input: PaymentBatchInput): Promise<BatchPaymentOutcome[]> {
  return database.payOrders({
    payments: input.payments.map(({ paymentId, input: p }) => ({
      workflowId: paymentId,
      envId: p.envId,
      walletId: p.walletId,
      userId: p.userId,
      productId: p.productId,
      amount: p.amount,
      currency: p.currency,
      idempotencyId: ledgerStepId(paymentId, 'charge'),
    })),
  });
}
