/**
 * Card top-ups (issue 12, part 1; README, Card top-ups). Ledger side (local
 * activities, one SQL transaction each, idempotent by the workflow id + step): create
 * the row, open it with its PaymentIntent, credit it from the Stripe clearing account,
 * move the money on when Stripe says it is available, end it failed or expired.
 * Stripe side (ordinary activities, idempotency key = workflow id + step): create,
 * cancel and read the PaymentIntent.
 */
import Stripe from 'stripe';
import { ApplicationFailure } from '@temporalio/common';
import { DomainError } from '../domain/errors';
import type { CardTopup, CardTopupAttentionReason, CardTopupStarted, PaymentIntentOutcome } from '../domain/card-topups';
import type { Currency } from '../domain/money';
import type { Wallet } from '../domain/types';
import { postings } from '../domain/postings';
import { postTransaction } from '../db/ledger';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import {
  addCardTopupEvent,
  insertCardTopup,
  lockCardTopup,
  updateCardTopup,
  type LockedCardTopup,
  type NewCardTopup,
} from '../db/queries/card-topups';
import { recordEvent } from '../db/queries/outbox';
import { getWallets, lockWallets } from '../db/queries/wallets';
import { cardTopupsNeedingAttention, observeStripeCall } from '../observability/metrics';
import type { Stripe as StripeClient } from '../stripe';
import { money } from '../wire/money';
import { presentCardTopup, presentWallet } from '../wire/present';
import { PROVIDER_ERROR, toStripeFailure, withStripeFailures } from './stripe-failures';

/** Stripe's largest amount for a PaymentIntent (eight digits of minor units). */
export const STRIPE_MAX_AMOUNT = 99_999_999n;

export interface EndCardTopupInput {
  topupId: string;
  status: 'failed' | 'expired';
  /** Timeline key and step (idempotent per top-up). */
  step: string;
  detail?: Record<string, unknown>;
  failureCode?: string | null;
  failureMessage?: string | null;
}

export interface CardFunds {
  /** available: the money is in the platform's Stripe balance; pending: not yet; unknown: no balance transaction yet. */
  status: 'available' | 'pending' | 'unknown';
  balanceTransactionId: string | null;
  /** How long until Stripe's available_on (0 when it has passed or is unknown). */
  waitMs: number;
  fee: string | null;
  feeCurrency: string | null;
}

/**
 * Marks a top-up needs_attention (timeline step, status, merchant event, metric) in the
 * caller's SQL transaction. Used by the workflow (a credit the wallet cannot take) and
 * by the Stripe webhook (payment_intent.succeeded after the top-up failed or expired).
 */
export async function markCardTopupNeedsAttention(
  client: PoolClient,
  topup: LockedCardTopup,
  reason: CardTopupAttentionReason,
  key: string,
  detail: Record<string, unknown>,
): Promise<CardTopup> {
  await addCardTopupEvent(client, topup.id, key, 'needs_attention', { ...detail, reason, status_before: topup.status });
  const marked = await updateCardTopup(client, topup.id, { status: 'needs_attention', attentionReason: reason });
  await recordEvent(client, marked.envId, 'topup.needs_attention', { topup: presentCardTopup(marked), reason });
  cardTopupsNeedingAttention.inc({ reason });
  return marked;
}

/** Ends a top-up that is still waiting for its payment: failed or expired, `topup.failed`. */
async function endCardTopup(client: PoolClient, topup: LockedCardTopup, input: EndCardTopupInput): Promise<CardTopup> {
  if (topup.status !== 'requires_payment') return topup;
  await addCardTopupEvent(client, topup.id, input.step, input.step, input.detail ?? {});
  const ended = await updateCardTopup(client, topup.id, {
    status: input.status,
    failureCode: input.failureCode ?? (input.status === 'expired' ? 'expired' : null),
    failureMessage: input.failureMessage ?? null,
  });
  await recordEvent(client, ended.envId, 'topup.failed', { topup: presentCardTopup(ended) });
  return ended;
}

async function locked(client: PoolClient, topupId: string): Promise<LockedCardTopup> {
  const topup = await lockCardTopup(client, topupId);
  if (!topup) throw new DomainError('not_found', `card top-up ${topupId} not found`);
  return topup;
}

export function createCardTopupActivities({ pool }: { pool: Pool }) {
  return {
    /**
     * The top-up row (status requires_payment, no PaymentIntent yet) and its first
     * timeline step. Refuses what a funded topup refuses: a wallet that is missing, of
     * another currency or not active.
     */
    async createCardTopup(input: NewCardTopup): Promise<CardTopupStarted> {
      if (BigInt(input.amount) > STRIPE_MAX_AMOUNT) {
        throw new DomainError('invalid_request', `a card top-up is at most ${STRIPE_MAX_AMOUNT} minor units (Stripe's limit)`, { field: 'amount' });
      }
      return withTransaction(pool, async (client) => {
        const [wallet] = await getWallets(client, input.envId, [input.walletId]);
        if (!wallet) throw new DomainError('not_found', `wallet ${input.walletId} not found`, { wallet_id: input.walletId });
        if (wallet.currency !== input.currency) {
          throw new DomainError('currency_mismatch', `wallet ${wallet.id} holds ${wallet.currency}, not ${input.currency}`, { wallet_id: wallet.id });
        }
        if (wallet.status !== 'active') {
          throw new DomainError('wallet_not_active', `wallet ${wallet.id} is ${wallet.status}`, { wallet_id: wallet.id, status: wallet.status });
        }
        const topup = await insertCardTopup(client, input);
        await addCardTopupEvent(client, topup.id, 'created', 'created', { amount_minor: input.amount, currency: input.currency });
        return { topup, wallet };
      });
    },

    /** Records the PaymentIntent and the expiry (now + ttlMs on the database's clock). */
    async openCardTopup(input: { topupId: string; paymentIntentId: string; clientSecret: string; ttlMs: number }): Promise<CardTopup> {
      return withTransaction(pool, async (client) => {
        const topup = await locked(client, input.topupId);
        if (topup.paymentIntentId) return topup;
        await addCardTopupEvent(client, topup.id, 'payment_intent_created', 'payment_intent_created', { payment_intent_id: input.paymentIntentId });
        return updateCardTopup(client, topup.id, { paymentIntentId: input.paymentIntentId, clientSecret: input.clientSecret, expiresInMs: input.ttlMs });
      });
    },

    /** failed (a payment_intent.payment_failed / .canceled, or Stripe refused the PaymentIntent). */
    async failCardTopup(input: Omit<EndCardTopupInput, 'status'>): Promise<CardTopup> {
      return withTransaction(pool, async (client) => endCardTopup(client, await locked(client, input.topupId), { ...input, status: 'failed' }));
    },

    /**
     * The TTL passed with no outcome signalled. Under the row lock: an outcome the webhook
     * recorded meanwhile (it writes it under the same lock before it signals) wins and is
     * returned, so a success racing the expiry is credited, never expired; otherwise the
     * top-up expires (`topup.failed`) and the workflow cancels the PaymentIntent.
     */
    async expireCardTopup(input: { topupId: string; ttlMs: number }): Promise<{ expired: boolean; outcome: PaymentIntentOutcome['status'] | null; failureCode: string | null }> {
      return withTransaction(pool, async (client) => {
        const topup = await locked(client, input.topupId);
        if (topup.status === 'requires_payment' && topup.outcome === null) {
          await endCardTopup(client, topup, { topupId: topup.id, status: 'expired', step: 'expired', detail: { ttl_ms: input.ttlMs } });
          return { expired: true, outcome: null, failureCode: null };
        }
        return { expired: topup.status === 'expired', outcome: topup.outcome, failureCode: topup.failureCode };
      });
    },

    /**
     * payment_intent.succeeded: wallet +x, stripe_clearing −x, status completed,
     * `topup.completed`, in one commit. Idempotent: the posting by its id, the row by its
     * status (a second success credits nothing). The money really arrived, so a suspended
     * wallet takes it (like a refund); a closed one cannot: needs_attention.
     */
    async creditCardTopup(input: { topupId: string; idempotencyId: string; eventId: string | null }): Promise<{ topup: CardTopup; credited: boolean }> {
      return withTransaction(pool, async (client) => {
        const topup = await locked(client, input.topupId);
        if (topup.status === 'completed') return { topup, credited: true };
        if (topup.status !== 'requires_payment') return { topup, credited: false };
        const [wallet] = await lockWallets(client, topup.envId, [topup.walletId]);
        if (!wallet || wallet.status === 'closed') {
          const marked = await markCardTopupNeedsAttention(client, topup, 'wallet_closed', 'wallet_closed', {
            wallet_id: topup.walletId,
            payment_intent_id: topup.paymentIntentId,
          });
          return { topup: marked, credited: false };
        }
        const amount = BigInt(topup.amount);
        const posted = await postTransaction(client, {
          idempotencyId: input.idempotencyId,
          envId: topup.envId,
          currency: topup.currency,
          ...postings.card_topup(topup.walletId, amount, topup.id),
        });
        const done = await updateCardTopup(client, topup.id, { status: 'completed', creditTransactionId: posted.transactionId });
        await addCardTopupEvent(client, topup.id, 'credited', 'credited', { transaction_id: posted.transactionId, stripe_event_id: input.eventId });
        const [after] = posted.wallets.length ? posted.wallets : await getWallets(client, topup.envId, [topup.walletId]);
        await recordEvent(client, topup.envId, 'topup.completed', {
          topup: presentCardTopup(done),
          transaction_id: posted.transactionId,
          amount: money(amount, topup.currency),
          wallet: presentWallet(after!),
        });
        return { topup: done, credited: true };
      });
    },

    /**
     * Stripe's balance transaction is available: stripe_clearing +x, stripe_balance −x
     * (the gross amount; Stripe's fee, in the balance transaction's currency, is recorded
     * on the top-up and in the timeline, not posted: it is the platform's cost, not a wallet's).
     */
    async clearCardTopup(input: { topupId: string; idempotencyId: string; balanceTransactionId: string; fee: string | null; feeCurrency: string | null }): Promise<CardTopup> {
      return withTransaction(pool, async (client) => {
        const topup = await locked(client, input.topupId);
        if (topup.status !== 'completed' || topup.availableAt) return topup;
        const amount = BigInt(topup.amount);
        const posted = await postTransaction(client, {
          idempotencyId: input.idempotencyId,
          envId: topup.envId,
          currency: topup.currency,
          ...postings.card_clearing(amount, topup.id),
        });
        await addCardTopupEvent(client, topup.id, 'funds_available', 'funds_available', {
          transaction_id: posted.transactionId,
          stripe_balance_transaction_id: input.balanceTransactionId,
          stripe_fee: input.fee,
          stripe_fee_currency: input.feeCurrency,
        });
        return updateCardTopup(client, topup.id, {
          clearingTransactionId: posted.transactionId,
          available: { balanceTransactionId: input.balanceTransactionId, fee: input.fee, feeCurrency: input.feeCurrency },
        });
      });
    },

    /** A timeline step with no change (the clearing wait given up, …). */
    async recordCardTopupStep(input: { topupId: string; step: string; detail?: Record<string, unknown> }): Promise<void> {
      await addCardTopupEvent(pool, input.topupId, input.step, input.step, input.detail ?? {});
    },
  };
}

export function createCardTopupStripeActivities({ pool, stripe }: { pool: Pool; stripe: StripeClient }) {
  return withStripeFailures({
    /** The PaymentIntent; its metadata names the top-up (the webhook finds it by the PaymentIntent id). */
    async createPaymentIntent(input: {
      topupId: string;
      envId: string;
      walletId: string;
      userId: string;
      amount: string;
      currency: Currency;
      idempotencyKey: string;
    }): Promise<{ paymentIntentId: string; clientSecret: string }> {
      let intent: Stripe.PaymentIntent;
      try {
        intent = await observeStripeCall('paymentIntents.create', () => stripe.paymentIntents.create(
          {
            amount: Number(input.amount),
            currency: input.currency.toLowerCase(),
            metadata: { env_id: input.envId, topup_id: input.topupId, wallet_id: input.walletId, user_id: input.userId },
          },
          { idempotencyKey: input.idempotencyKey },
        ));
      } catch (err) {
        // An amount Stripe will not charge (below its minimum for the currency) is the client's mistake: 422.
        if (err instanceof Stripe.errors.StripeInvalidRequestError && (err.code === 'amount_too_small' || err.code === 'amount_too_large')) {
          throw new DomainError('invalid_request', `Stripe refused the amount: ${err.message}`, { field: 'amount', stripe_code: err.code });
        }
        throw err;
      }
      if (!intent.client_secret) throw new Error(`PaymentIntent ${intent.id} came back without a client_secret`);
      return { paymentIntentId: intent.id, clientSecret: intent.client_secret };
    },

    /**
     * Cancels the PaymentIntent (expiry, or a failed payment the customer could otherwise
     * retry) and records the answer. Stripe refusing (it succeeded meanwhile) is recorded,
     * not thrown: the succeeded event that follows is flagged for an operator by the webhook.
     */
    async cancelPaymentIntent(input: { topupId: string; paymentIntentId: string; idempotencyKey: string; reason: string }): Promise<{ canceled: boolean }> {
      try {
        await observeStripeCall('paymentIntents.cancel', () =>
          stripe.paymentIntents.cancel(input.paymentIntentId, { cancellation_reason: 'abandoned' }, { idempotencyKey: input.idempotencyKey }),
        );
      } catch (err) {
        const failure = toStripeFailure(err);
        if (!(failure instanceof ApplicationFailure) || failure.type !== PROVIDER_ERROR) throw err;
        await addCardTopupEvent(pool, input.topupId, 'payment_intent_cancel_refused', 'payment_intent_cancel_refused', {
          payment_intent_id: input.paymentIntentId,
          reason: input.reason,
          message: failure.message,
        });
        return { canceled: false };
      }
      await addCardTopupEvent(pool, input.topupId, 'payment_intent_canceled', 'payment_intent_canceled', {
        payment_intent_id: input.paymentIntentId,
        reason: input.reason,
      });
      return { canceled: true };
    },

    /** Where the money of a succeeded PaymentIntent is: its charge's balance transaction. */
    async retrieveCardFunds(input: { paymentIntentId: string }): Promise<CardFunds> {
      const intent = await observeStripeCall('paymentIntents.retrieve', () =>
        stripe.paymentIntents.retrieve(input.paymentIntentId, { expand: ['latest_charge.balance_transaction'] }),
      );
      let charge = intent.latest_charge;
      if (!charge) {
        // Not on the PaymentIntent (yet): its charges.
        const list = await observeStripeCall('charges.list', () =>
          stripe.charges.list({ payment_intent: input.paymentIntentId, limit: 1, expand: ['data.balance_transaction'] }),
        );
        charge = list.data[0] ?? null;
      }
      if (typeof charge === 'string') {
        const chargeId = charge;
        charge = await observeStripeCall('charges.retrieve', () => stripe.charges.retrieve(chargeId, { expand: ['balance_transaction'] }));
      }
      let bt = charge ? charge.balance_transaction : null;
      if (typeof bt === 'string') {
        const btId = bt;
        bt = await observeStripeCall('balanceTransactions.retrieve', () => stripe.balanceTransactions.retrieve(btId));
      }
      if (!bt) return { status: 'unknown', balanceTransactionId: null, waitMs: 0, fee: null, feeCurrency: null };
      return {
        status: bt.status === 'available' ? 'available' : 'pending',
        balanceTransactionId: bt.id,
        waitMs: Math.max(0, bt.available_on * 1000 - Date.now()),
        fee: String(bt.fee),
        feeCurrency: bt.currency.toUpperCase(),
      };
    },
  });
}
