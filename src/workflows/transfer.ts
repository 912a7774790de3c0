/** Transfer between two wallets: one local activity, one posting, nothing to compensate. */
import { workflowInfo } from '@temporalio/workflow';
import { ledgerStepId } from '../domain/postings';
import type { TransferInput, TransferResult } from '../domain/types';
import { businessFailure } from './failures';
import { database } from './options';

export async function transfer(input: TransferInput): Promise<TransferResult> {
  try {
    return await database.transferFunds({ ...input, idempotencyId: ledgerStepId(workflowInfo().workflowId, 'transfer') });
  } catch (err) {
    throw businessFailure(err) ?? err;
  }
}
