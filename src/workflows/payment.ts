/**
 * Payment for a product: order pending → debit the wallet to revenue and complete the
 * order (one SQL transaction) → done. A refusal (insufficient funds, wallet not
 * active) marks the order failed and fails the workflow with the refusal's code.
 *
 * A charge that fails for good (a data error Postgres will never accept, or its retry
 * budget spent: src/workflows/options.ts) marks the order failed with `internal` and
 * fails the workflow, so no order stays pending behind a closed workflow. Should the
 * charge have committed after all (its answer lost for the whole budget), the order
 * is completed, failOrder leaves it so, and the charge's replay answers it.
 *
 * There is no compensation "after the debit" (a refund of a debited order that failed
 * later): the debit and the order's completion commit together.
 *
 * With `authorization` in its input (`"capture": false`) it holds the amount instead and
 * waits for a capture, a void or the expiry: src/workflows/payment-authorization.ts.
 */
import { isCancellation, patched, TemporalFailure, workflowInfo } from '@temporalio/workflow';
import { ledgerStepId } from '../domain/postings';
import type { PaymentInput, PaymentResult } from '../domain/types';
import { businessFailure } from './failures';
import { database } from './options';
import { authorizeThenWait } from './payment-authorization';

export async function payment(input: PaymentInput): Promise<PaymentResult> {
  const workflowId = workflowInfo().workflowId;
  // Issue 12: `"capture": false` holds the amount and waits for a capture, a void or its
  // expiry (src/workflows/payment-authorization.ts). Chosen by an input field that no
  // payment started before it carries, so recorded histories never take this branch.
  if (input.authorization) return authorizeThenWait({ ...input, authorization: input.authorization }, workflowId);
  // Issue 11: one local activity (order + charge in one SQL transaction) for workflows
  // started since this patch; histories recorded before it replay the two-step path.
  if (!input.twoSteps && patched('payment-one-activity')) return payInOneStep(input, workflowId);
  const order = await database.createOrder({ ...input, workflowId });
  const charge = { orderId: order.id, idempotencyId: ledgerStepId(workflowId, 'charge') };
  try {
    return await database.chargeOrder(charge);
  } catch (err) {
    const refusal = businessFailure(err);
    if (refusal) {
      await database.failOrder({ orderId: order.id, failureCode: refusal.type! });
      throw refusal;
    }
    // A local activity's failure (data error, retry budget spent) reaches the workflow as
    // a TemporalFailure; anything else is a bug in this code (the workflow task retries it).
    if (!(err instanceof TemporalFailure) || isCancellation(err)) throw err;
    const after = await database.failOrder({ orderId: order.id, failureCode: 'internal' });
    if (after.status === 'completed') return await database.chargeOrder(charge);
    throw err;
  }
}

async function payInOneStep(input: PaymentInput, workflowId: string): Promise<PaymentResult> {
  const charge = { idempotencyId: ledgerStepId(workflowId, 'charge') };
  try {
    return await database.payOrder({ ...input, workflowId, ...charge });
  } catch (err) {
    const refusal = businessFailure(err);
    if (!refusal && (!(err instanceof TemporalFailure) || isCancellation(err))) throw err;
    // payOrder rolled back its order with the debit: record the order as failed, as the
    // two-step path leaves it (a refusal's code, or `internal` for a failure for good).
    // An order Postgres refuses to hold (a data error) cannot be recorded: fail with the
    // original error, as the two-step path's createOrder does.
    let orderId: string;
    try {
      orderId = (await database.createOrder({ ...input, workflowId })).id;
    } catch {
      throw refusal ?? err;
    }
    const after = await database.failOrder({ orderId, failureCode: refusal ? refusal.type! : 'internal' });
    // The one-step charge committed after all (its answer lost): its replay answers it.
    if (!refusal && after.status === 'completed') return await database.chargeOrder({ orderId, ...charge });
    throw refusal ?? err;
  }
}
