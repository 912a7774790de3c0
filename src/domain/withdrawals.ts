/**
 * Withdrawals: the shapes the withdraw workflow, its activities, the webhook router
 * and the API exchange. Plain JSON (they cross Temporal's payload converter).
 */
import type { Currency } from './money';
import type { WalletAmount } from './types';

/**
 * `needs_attention`: the workflow could not end the withdrawal by itself (the payout's
 * outcome never came, Stripe refused the reversal, the workflow was terminated after
 * the transfer, or a `payout.failed` came after `payout.paid`): money may have left, so
 * the hold (or the settled amount) is left as it is for an operator (README, Runbook).
 */
export const WITHDRAWAL_STATUSES = ['awaiting_onboarding', 'processing', 'paid', 'failed', 'canceled', 'expired', 'needs_attention'] as const;
export type WithdrawalStatus = (typeof WITHDRAWAL_STATUSES)[number];

/** Statuses in which the hold is still in place (no release or settle posted yet). */
export const IN_FLIGHT_STATUSES: readonly WithdrawalStatus[] = ['awaiting_onboarding', 'processing'];

export interface WithdrawalEvent {
  seq: number;
  step: string;
  detail: Record<string, unknown>;
  at: string;
}

export interface Withdrawal {
  id: string;
  envId: string;
  walletId: string;
  userId: string;
  amount: string;
  /** The withdrawal fee charged with the hold (given back by a release), minor units. */
  fee: string;
  currency: Currency;
  status: WithdrawalStatus;
  workflowId: string;
  stripeAccountId: string | null;
  stripeTransferId: string | null;
  stripePayoutId: string | null;
  failureCode: string | null;
  failureMessage: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface WithdrawInput extends WalletAmount {
  userId: string;
  /** How long the user may take to finish Stripe onboarding before the hold is released. Default 7 days. */
  onboardingTimeoutMs?: number;
  /** How long to wait for a payout.paid/failed webhook before polling the payout once. Default 1 hour. */
  payoutPollIntervalMs?: number;
  /** How long to wait for the payout's outcome at all before handing the withdrawal to an operator (`needs_attention`). Default 30 days. */
  payoutTimeoutMs?: number;
  /** How many fresh onboarding links the refresh URL may ask for (unset: no bound, as before). */
  maxLinkRefreshes?: number;
}

/** Why a withdrawal needs an operator (the `reason` of its timeline step and of the metric). */
export type AttentionReason = 'payout_timed_out' | 'reversal_refused' | 'workflow_closed' | 'payout_failed_after_paid' | 'payout_paid_after_release';

/** What POST /wallet/withdraw (update-with-start) and the status query return. */
export interface WithdrawalProgress {
  withdrawalId: string | null;
  status: WithdrawalStatus | 'starting';
  /** Onboarding link while the account cannot receive payouts, else the Express dashboard login link. */
  url: string | null;
  /** The withdrawal fee charged with the hold, minor units (once held). */
  fee?: string;
}

export type PayoutOutcome = { payoutId: string; status: 'paid' } | { payoutId: string; status: 'failed'; failureCode: string | null; failureMessage: string | null };
