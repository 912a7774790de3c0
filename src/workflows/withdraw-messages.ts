/**
 * The withdraw workflow's messages, shared by the workflow, the API and the webhook
 * router (definitions only: safe to import outside the workflow sandbox).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PayoutOutcome, WithdrawalProgress } from '../domain/withdrawals';

/** Update-with-start: answers as soon as the URL exists (the HTTP request never waits for the payout). */
export const withdrawalUrlUpdate = defineUpdate<WithdrawalProgress>('withdrawalUrl');
/** A fresh onboarding link (the refresh URL: Stripe's link expired or was used). */
export const refreshLinkUpdate = defineUpdate<WithdrawalProgress>('refreshLink');
/** Cancel while no money has left; rejected (type `conflict`) once the transfer has started. */
export const cancelUpdate = defineUpdate<WithdrawalProgress>('cancel');

/** The connected account can receive payouts (account.updated webhook, or the return URL's re-read). */
export const accountReadySignal = defineSignal<[{ source: string }]>('accountReady');
/** payout.paid / payout.failed (webhook). */
export const payoutOutcomeSignal = defineSignal<[PayoutOutcome]>('payoutOutcome');

export const progressQuery = defineQuery<WithdrawalProgress>('progress');
