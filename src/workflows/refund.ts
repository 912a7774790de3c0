/**
 * Refund of a completed payment: one local activity that locks the order, checks
 * what is left to refund, posts revenue → wallet and updates the order together.
 */
import { workflowInfo } from '@temporalio/workflow';
import { ledgerStepId } from '../domain/postings';
import type { RefundInput, RefundResult } from '../domain/types';
import { businessFailure } from './failures';
import { database } from './options';

export async function refund(input: RefundInput): Promise<RefundResult> {
  try {
    return await database.refundOrder({ ...input, idempotencyId: ledgerStepId(workflowInfo().workflowId, 'refund') });
  } catch (err) {
    throw businessFailure(err) ?? err;
  }
}
