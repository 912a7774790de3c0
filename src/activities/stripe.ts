/**
 * Stripe Connect steps of a withdrawal. Each takes the idempotency key the workflow
 * built from its id and the step, so a retried activity never creates a second
 * account, link, transfer, payout or reversal.
 */
import type { Currency } from '../domain/money';
import type { Pool } from '../db/pool';
import { findLinkToken, findStripeAccount, saveStripeAccount } from '../db/queries/withdrawals';
import { observeStripeCall } from '../observability/metrics';
import type { Stripe } from '../stripe';
import { withStripeFailures } from './stripe-failures';

export interface StripeDeps {
  pool: Pool;
  stripe: Stripe;
  /** Base of the return/refresh URLs Stripe sends the user back to. */
  publicUrl: string;
}

interface Keyed {
  idempotencyKey: string;
}

/** A withdrawal's money at the steps that move it (transfer, then payout). */
type WithdrawalMoney = Keyed & { accountId: string; amount: string; currency: Currency; envId: string; withdrawalId: string };

/** Amount and currency as Stripe takes them: a number of minor units, a lowercase code. */
function stripeAmount(input: WithdrawalMoney): { amount: number; currency: string } {
  return { amount: Number(input.amount), currency: input.currency.toLowerCase() };
}

/** What routes Stripe's events about the transfer or payout back to its withdrawal. */
function withdrawalMetadata(input: WithdrawalMoney): { env_id: string; withdrawal_id: string } {
  return { env_id: input.envId, withdrawal_id: input.withdrawalId };
}

/** Stripe keeps idempotency keys for at least 24 hours; after that the stored row answers first. */
export function connectedAccountKey(envId: string, userId: string): string {
  return `connected-account:${envId}:${userId}`;
}

export function createStripeActivities({ pool, stripe, publicUrl }: StripeDeps) {
  const base = publicUrl.replace(/\/+$/, '');
  return withStripeFailures({
    /**
     * The user's connected account (one per environment and user), created on first use.
     * Its idempotency key names the user, not the workflow: two first withdrawals racing
     * for one user get the same account from Stripe instead of one orphan each.
     */
    async ensureConnectedAccount(input: { envId: string; userId: string }): Promise<{ accountId: string; payoutsEnabled: boolean }> {
      const stored = await findStripeAccount(pool, input.envId, input.userId);
      if (stored) return { accountId: stored.stripeAccountId, payoutsEnabled: stored.payoutsEnabled };
      const account = await observeStripeCall('accounts.create', () => stripe.accounts.create(
        {
          type: 'express',
          capabilities: { transfers: { requested: true } },
          // The workflow creates each payout itself (payouts.create): Stripe allows that
          // only on accounts whose payouts are manual.
          settings: { payouts: { schedule: { interval: 'manual' } } },
          metadata: { env_id: input.envId, user_id: input.userId },
        },
        { idempotencyKey: connectedAccountKey(input.envId, input.userId) },
      ));
      // payouts_enabled is set by events only (webhook, return handler): a new account is never ready.
      const saved = await saveStripeAccount(pool, input.envId, input.userId, account.id);
      return { accountId: saved.stripeAccountId, payoutsEnabled: saved.payoutsEnabled };
    },

    /** A Connect onboarding link; Stripe sends the user back to our return/refresh URLs. */
    async createOnboardingLink(input: Keyed & { accountId: string; withdrawalId: string }): Promise<{ url: string }> {
      const token = await findLinkToken(pool, input.withdrawalId);
      if (!token) throw new Error(`withdrawal ${input.withdrawalId} not found`);
      const query = `?token=${encodeURIComponent(token)}`;
      const link = await observeStripeCall('accountLinks.create', () => stripe.accountLinks.create(
        {
          account: input.accountId,
          type: 'account_onboarding',
          refresh_url: `${base}/stripe/connect/refresh/${input.withdrawalId}${query}`,
          return_url: `${base}/stripe/connect/return/${input.withdrawalId}${query}`,
        },
        { idempotencyKey: input.idempotencyKey },
      ));
      return { url: link.url };
    },

    /** The Express dashboard login link, for a user whose account can already receive payouts. */
    async createDashboardLink(input: Keyed & { accountId: string }): Promise<{ url: string }> {
      const link = await observeStripeCall('accounts.createLoginLink', () => stripe.accounts.createLoginLink(input.accountId, {}, { idempotencyKey: input.idempotencyKey }));
      return { url: link.url };
    },

    /** Platform balance → the connected account. */
    async createTransfer(input: WithdrawalMoney): Promise<{ transferId: string }> {
      const transfer = await observeStripeCall('transfers.create', () => stripe.transfers.create(
        {
          ...stripeAmount(input),
          destination: input.accountId,
          transfer_group: `withdrawal_${input.withdrawalId}`,
          metadata: withdrawalMetadata(input),
        },
        { idempotencyKey: input.idempotencyKey },
      ));
      return { transferId: transfer.id };
    },

    /** Connected account's balance → the user's bank. Its metadata routes the payout.* webhooks back. */
    async createPayout(input: WithdrawalMoney): Promise<{ payoutId: string }> {
      const payout = await observeStripeCall('payouts.create', () => stripe.payouts.create(
        { ...stripeAmount(input), metadata: withdrawalMetadata(input) },
        { idempotencyKey: input.idempotencyKey, stripeAccount: input.accountId },
      ));
      return { payoutId: payout.id };
    },

    /** The fallback when no payout webhook came: read the payout's status. */
    async retrievePayout(input: { accountId: string; payoutId: string }): Promise<{
      status: string;
      failureCode: string | null;
      failureMessage: string | null;
    }> {
      const payout = await observeStripeCall('payouts.retrieve', () => stripe.payouts.retrieve(input.payoutId, {}, { stripeAccount: input.accountId }));
      return { status: payout.status, failureCode: payout.failure_code ?? null, failureMessage: payout.failure_message ?? null };
    },

    /** Pulls a transfer back to the platform after its payout failed. */
    async reverseTransfer(input: Keyed & { transferId: string }): Promise<{ reversalId: string }> {
      const reversal = await observeStripeCall('transfers.createReversal', () => stripe.transfers.createReversal(input.transferId, {}, { idempotencyKey: input.idempotencyKey }));
      return { reversalId: reversal.id };
    },
  });
}
