/**
 * Payment for a product: order pending → debit the wallet to revenue and complete the
 * order (one SQL transaction) → done. A refusal (insufficient funds, wallet not
 * active) marks the order failed and fails the workflow with the refusal's code.
 *
 * DESIGN.md lists a compensation "after the debit"; there is no such window here,
 * because the debit and the order's completion commit together.
 */
import { workflowInfo } from '@temporalio/workflow';
import type { PaymentInput, PaymentResult } from '../domain/types';
import { businessFailure } from './failures';
import { ledger } from './options';

export async function payment(input: PaymentInput): Promise<PaymentResult> {
  const workflowId = workflowInfo().workflowId;
  const order = await ledger.createOrder({ ...input, workflowId });
  try {
    return await ledger.chargeOrder({ orderId: order.id, idempotencyId: `${workflowId}:charge` });
  } catch (err) {
    const refusal = businessFailure(err);
    if (!refusal) throw err;
    await ledger.failOrder({ orderId: order.id, failureCode: refusal.type! });
    throw refusal;
  }
}
