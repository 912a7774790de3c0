/** Topup: credit the wallet from the environment's funding account. One posting, nothing to compensate. */
import { workflowInfo } from '@temporalio/workflow';
import { ledgerStepId } from '../domain/postings';
import type { TopupInput, TopupResult } from '../domain/types';
import { businessFailure } from './failures';
import { database } from './options';

export async function topup(input: TopupInput): Promise<TopupResult> {
  try {
    return await database.topupWallet({ ...input, idempotencyId: ledgerStepId(workflowInfo().workflowId, 'topup') });
  } catch (err) {
    throw businessFailure(err) ?? err;
  }
}
