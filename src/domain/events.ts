/**
 * Merchant webhook event types. An event is written to the outbox in the same SQL
 * transaction as the change it reports (src/db/queries/outbox.ts).
 */
export const EVENT_TYPES = [
  'wallet.created',
  'wallet.status_changed',
  'topup.completed',
  // A card top-up (README, Card top-ups) ended without a credit: failed, canceled or expired.
  'topup.failed',
  // payment_intent.succeeded came for a card top-up that had failed or expired (or could not be credited): an operator decides.
  'topup.needs_attention',
  'payment.completed',
  'payment.failed',
  // Authorize now, capture later (README, Authorize and capture): held, taken (all or part), released.
  'payment.authorized',
  'payment.captured',
  'payment.voided',
  'transfer.completed',
  'refund.completed',
  'withdrawal.awaiting_onboarding',
  'withdrawal.paid',
  'withdrawal.failed',
  // Money may have left and the workflow could not end the withdrawal: an operator decides (README, Runbook).
  'withdrawal.needs_attention',
  // Reconciliation found a difference between the ledger and Stripe (README, Reconciliation).
  'reconciliation.mismatch',
  // Schedules (README, Schedules): a run refused or failed; paused after refused runs in a row; ended with its wallet.
  'schedule.run_failed',
  'schedule.paused',
  'schedule.ended',
  // A posting moved a wallet's balance or held across a monitor's threshold into its condition (README, Balance alerts).
  'wallet.balance_threshold_crossed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
