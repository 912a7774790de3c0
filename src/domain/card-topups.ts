/**
 * Card top-ups through Stripe (issue 12, part 1): the shapes the cardTopup workflow,
 * its activities, the API and the Stripe webhook exchange. No I/O.
 */
import type { Currency } from './money';
import type { Wallet, WalletAmount } from './types';

/**
 * requires_payment → completed (credited on payment_intent.succeeded)
 *                  | failed (payment_intent.payment_failed / .canceled, or Stripe refused the PaymentIntent)
 *                  | expired (no outcome within the TTL; the PaymentIntent is canceled at Stripe)
 * failed | expired → needs_attention (payment_intent.succeeded came after: recorded, not credited, an operator decides)
 */
export const CARD_TOPUP_STATUSES = ['requires_payment', 'completed', 'failed', 'expired', 'needs_attention'] as const;
export type CardTopupStatus = (typeof CARD_TOPUP_STATUSES)[number];

/** Why a card top-up needs an operator. */
export type CardTopupAttentionReason = 'succeeded_after_expiry' | 'succeeded_after_failure' | 'wallet_closed' | 'workflow_closed';

/** What a payment_intent.* event says, as the webhook hands it to the workflow. */
export interface PaymentIntentOutcome {
  status: 'succeeded' | 'failed' | 'canceled';
  eventId: string;
  failureCode?: string | null;
  failureMessage?: string | null;
}

export interface CardTopup {
  id: string;
  envId: string;
  walletId: string;
  userId: string;
  amount: string;
  currency: Currency;
  status: CardTopupStatus;
  workflowId: string;
  paymentIntentId: string | null;
  clientSecret: string | null;
  expiresAt: string | null;
  creditTransactionId: string | null;
  /** When Stripe's balance transaction said the money is available (the clearing → balance posting). */
  availableAt: string | null;
  stripeBalanceTransactionId: string | null;
  /** Stripe's processing fee in the balance transaction's currency (recorded, not posted: README, Card top-ups). */
  stripeFee: string | null;
  stripeFeeCurrency: string | null;
  failureCode: string | null;
  failureMessage: string | null;
  attentionReason: CardTopupAttentionReason | null;
  createdAt: string;
  updatedAt: string;
}

export interface CardTopupEvent {
  step: string;
  detail: Record<string, unknown>;
  at: string;
}

/** The workflow's input; the waits come from config (CARD_TOPUP_*), absent ones take the defaults below. */
export interface CardTopupInput extends WalletAmount {
  userId: string;
  ttlMs?: number;
  clearingPollMs?: number;
  clearingTimeoutMs?: number;
}

export const CARD_TOPUP_DEFAULTS = {
  /** A PaymentIntent nobody paid within a day is canceled and the top-up expires. */
  ttlMs: 24 * 3600_000,
  /** How often to look at the balance transaction again once its available_on has passed. */
  clearingPollMs: 3600_000,
  /** Stop waiting for the money to become available (it stays in clearing for an operator). */
  clearingTimeoutMs: 30 * 24 * 3600_000,
};

/** What POST /wallet/topup with "method": "card" answers (the update of the update-with-start). */
export interface CardTopupStarted {
  topup: CardTopup;
  wallet: Wallet;
}
