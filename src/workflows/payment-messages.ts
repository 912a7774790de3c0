/**
 * The payment workflow's updates for an authorization (`"capture": false`), shared by the
 * workflow and the API (definitions only: safe to import outside the workflow sandbox).
 */
import { defineUpdate } from '@temporalio/workflow';
import type { PaymentResult } from '../domain/types';

/** Update-with-start: answers once the hold is placed (or with the refusal that prevented it). */
export const authorizationUpdate = defineUpdate<PaymentResult>('authorization');
/**
 * Take `amount` minor units (null: all) of the hold, release the rest. `decisionId` (the
 * update's id) is recorded on the order, so a retried request recognises its own decision.
 */
export const captureUpdate = defineUpdate<PaymentResult, [{ amount: string | null; decisionId: string | null }]>('capture');
/** Release the whole hold. */
export const voidUpdate = defineUpdate<PaymentResult, [{ decisionId: string | null }]>('void');
