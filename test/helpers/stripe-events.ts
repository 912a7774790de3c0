/**
 * Signed Stripe webhook events for tests: stripe-mock sends none, so tests drive a
 * withdrawal's state by posting events signed exactly as Stripe signs them.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import { DEV_STRIPE_WEBHOOK_SECRET } from '../../src/config';
import type { Stripe } from '../../src/stripe';

export function stripeEvent(type: string, object: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    id: `evt_test_${randomUUID().replace(/-/g, '')}`,
    object: 'event',
    api_version: '2025-01-01',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
    ...extra,
  };
}

export function postEvent(app: Express, stripe: Stripe, event: object, secret = DEV_STRIPE_WEBHOOK_SECRET) {
  const payload = JSON.stringify(event);
  const header = stripe.webhooks.generateTestHeaderString({ payload, secret });
  return request(app).post('/stripe/webhook').set('Stripe-Signature', header).set('Content-Type', 'application/json').send(payload);
}

export function accountUpdated(accountId: string, envId: string, userId: string, payoutsEnabled = true) {
  return stripeEvent('account.updated', {
    id: accountId,
    object: 'account',
    type: 'express',
    payouts_enabled: payoutsEnabled,
    charges_enabled: payoutsEnabled,
    details_submitted: true,
    metadata: { env_id: envId, user_id: userId },
  });
}

export function payoutEvent(
  type: 'payout.paid' | 'payout.failed',
  payoutId: string,
  accountId: string,
  envId: string,
  withdrawalId: string,
) {
  return stripeEvent(
    type,
    {
      id: payoutId,
      object: 'payout',
      status: type === 'payout.paid' ? 'paid' : 'failed',
      failure_code: type === 'payout.failed' ? 'account_closed' : null,
      failure_message: type === 'payout.failed' ? 'The bank account has been closed.' : null,
      metadata: { env_id: envId, withdrawal_id: withdrawalId },
    },
    { account: accountId },
  );
}

/** A payment_intent.* event for a card top-up's PaymentIntent (found by data.object.id). */
export function paymentIntentEvent(
  type: 'payment_intent.succeeded' | 'payment_intent.payment_failed' | 'payment_intent.canceled',
  paymentIntentId: string,
  amount: number,
  metadata: Record<string, string> = {},
) {
  const status = type === 'payment_intent.succeeded' ? 'succeeded' : type === 'payment_intent.canceled' ? 'canceled' : 'requires_payment_method';
  return stripeEvent(type, {
    id: paymentIntentId,
    object: 'payment_intent',
    amount,
    amount_received: type === 'payment_intent.succeeded' ? amount : 0,
    currency: 'usd',
    status,
    latest_charge: type === 'payment_intent.payment_failed' ? null : `ch_test_${paymentIntentId}`,
    cancellation_reason: type === 'payment_intent.canceled' ? 'requested_by_customer' : null,
    last_payment_error:
      type === 'payment_intent.payment_failed'
        ? { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' }
        : null,
    metadata,
  });
}
