/**
 * POST /stripe/webhook. Mounted before the JSON body middleware: the signature covers
 * the exact bytes, so the body is read raw. A bad or stale signature is a 400 and
 * changes nothing. Each event id is recorded in the same SQL transaction as its
 * effects, so a redelivery has no second effect, and a failure (Temporal down) rolls
 * the record back and answers 503 so Stripe delivers again.
 *
 * Routing uses the ids we put in the objects' metadata: account.updated → the user's
 * withdrawals awaiting onboarding (env_id, user_id); payout.* → the withdrawal
 * (env_id, withdrawal_id); payment_intent.* → the card top-up whose PaymentIntent it
 * is (data.object.id; src/services/card-topups.ts).
 */
import express, { Router } from 'express';
import { z } from 'zod';
import { DomainError } from '../../domain/errors';
import type { PayoutOutcome } from '../../domain/withdrawals';
import { withTransaction, type Pool, type PoolClient } from '../../db/pool';
import { findAwaitingOnboarding, findWithdrawal, recordStripeEvent, setPayoutsEnabled } from '../../db/queries/withdrawals';
import type { Stripe } from '../../stripe';
import { sendJson } from '../json';
import type { TemporalDeps } from '../temporal';
import { signalAccountReady, signalPayoutOutcome } from '../withdraw-temporal';
import { markNeedsAttention, recordLatePayoutOutcome } from '../../activities/withdrawals';
import { ErrorSchema, registerRoute } from '../openapi';
import { isPaymentIntentEvent, onPaymentIntentEvent } from '../../services/card-topups';

registerRoute({
  method: 'post', path: '/stripe/webhook', tags: ['stripe'], auth: 'none', summary: 'Stripe webhook events (called by Stripe)',
  description:
    'Authenticated by the `Stripe-Signature` header over the raw body (STRIPE_WEBHOOK_SECRET). Handles `account.updated` and ' +
    '`payout.paid`/`payout.failed`/`payout.canceled` (withdrawals) and `payment_intent.succeeded`/`payment_intent.payment_failed`/' +
    '`payment_intent.canceled` (card top-ups, found by the PaymentIntent id `data.object.id`); other event types are acknowledged and ignored. A redelivered event has no second effect.',
  request: {
    headers: z.object({ 'Stripe-Signature': z.string().openapi({ example: 't=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd' }) }),
    body: z.looseObject({ id: z.string(), type: z.string(), data: z.object({ object: z.record(z.string(), z.unknown()) }) }),
    bodyExample: {
      id: 'evt_1QxYzAbCdEfGhIjK',
      type: 'payout.paid',
      data: { object: { id: 'po_1QxYzAbCdEfGhIjK', object: 'payout', status: 'paid', metadata: { env_id: '123', withdrawal_id: '900000001' } } },
    },
  },
  responses: {
    200: {
      description: 'Received. `duplicate`: the event id was seen before; `routed`: how many withdrawals or card top-ups it was delivered to.',
      schema: z.object({ received: z.literal(true), duplicate: z.boolean(), routed: z.number().int() }),
      example: { received: true, duplicate: false, routed: 1 },
    },
    400: {
      description: 'Missing or bad signature (wrong secret, altered body or stale timestamp); nothing changed',
      schema: ErrorSchema,
      example: { error: { code: 'invalid_signature', message: 'missing Stripe-Signature header', details: {} } },
    },
    503: { description: 'Stripe webhooks are not configured, or a dependency is down: Stripe delivers again', schema: ErrorSchema },
  },
});

export interface StripeDeps {
  client: Stripe;
  /** Unset (production without STRIPE_WEBHOOK_SECRET): the webhook answers 503. */
  webhookSecret: string | undefined;
}

/** The Stripe deps, or a 503 when the app was built without them. */
export function requireStripe(stripe: StripeDeps | undefined): StripeDeps {
  if (!stripe) throw new DomainError('unavailable', 'Stripe is not configured in this process');
  return stripe;
}

const ID = /^[0-9]{1,19}$/;

function metadataOf(object: unknown): Record<string, string> {
  const metadata = (object as { metadata?: unknown } | null)?.metadata;
  return metadata && typeof metadata === 'object' ? (metadata as Record<string, string>) : {};
}

type Handled = { routed: number };

async function onAccountUpdated(client: PoolClient, temporal: TemporalDeps, account: Stripe.Account): Promise<Handled> {
  const { env_id: envId, user_id: userId } = metadataOf(account);
  if (!envId || !ID.test(envId) || !userId) return { routed: 0 };
  const known = await setPayoutsEnabled(client, envId, userId, account.id, account.payouts_enabled === true);
  if (!known || account.payouts_enabled !== true) return { routed: 0 };
  let routed = 0;
  for (const w of await findAwaitingOnboarding(client, envId, userId)) {
    // No account recorded yet: the workflow is between creating the user's (one) account
    // and recording it, and would otherwise miss this event.
    const ours = w.stripeAccountId === null || w.stripeAccountId === account.id;
    if (ours && (await signalAccountReady(temporal, w.workflowId, 'account.updated'))) routed++;
  }
  return { routed };
}

async function onPayout(client: PoolClient, temporal: TemporalDeps, type: string, payout: Stripe.Payout): Promise<Handled> {
  const { env_id: envId, withdrawal_id: withdrawalId } = metadataOf(payout);
  if (!envId || !ID.test(envId) || !withdrawalId || !ID.test(withdrawalId)) return { routed: 0 };
  const withdrawal = await findWithdrawal(client, envId, withdrawalId);
  // A payout id already recorded must match; one not yet recorded (webhook before the
  // activity's result) is kept by the workflow until it learns the id.
  if (!withdrawal || (withdrawal.stripePayoutId && withdrawal.stripePayoutId !== payout.id)) return { routed: 0 };
  // payout.failed after payout.paid (Stripe sends these: the bank returned the money to the
  // connected account). The workflow has settled and ended: the event is not dropped but
  // recorded in the timeline, and the withdrawal goes to needs_attention (merchant event,
  // metric, console) in this transaction. A workflow still running gets the signal and
  // does the same after its settle.
  if (type !== 'payout.paid' && withdrawal.status === 'paid' && withdrawal.stripePayoutId === payout.id) {
    const marked = await markNeedsAttention(client, {
      withdrawalId: withdrawal.id,
      step: 'needs_attention',
      reason: 'payout_failed_after_paid',
      detail: { stripe_payout_id: payout.id, stripe_event: type, failure_code: payout.failure_code ?? null },
      failureCode: payout.failure_code ?? `payout_${payout.status}`,
      failureMessage: payout.failure_message ?? `${type} came after payout.paid: the money is back in the connected account`,
    });
    return { routed: marked ? 1 : 0 };
  }
  const outcome: PayoutOutcome =
    type === 'payout.paid'
      ? { payoutId: payout.id, status: 'paid' }
      : { payoutId: payout.id, status: 'failed', failureCode: payout.failure_code ?? `payout_${payout.status}`, failureMessage: payout.failure_message ?? null };
  if (await signalPayoutOutcome(temporal, withdrawal.workflowId, outcome)) return { routed: 1 };
  // The workflow no longer runs (it handed the withdrawal to an operator: payout timed out,
  // reversal refused; or it was terminated and the sweeper will). The outcome is what the
  // operator must decide on, so it goes into the timeline instead of being dropped, and
  // `withdrawals resolve` refuses to release a hold whose payout Stripe last reported paid.
  if (withdrawal.status === 'needs_attention' || withdrawal.status === 'processing') {
    await recordLatePayoutOutcome(client, withdrawal.id, { type, payoutId: payout.id, outcome });
    return { routed: 1 };
  }
  // payout.paid for a withdrawal whose hold was released (the reversal, or an operator's
  // `resolve --outcome released`): the user may now have the amount twice, in the wallet and
  // at the bank. Recorded and handed to an operator like payout.failed after payout.paid.
  if (withdrawal.status === 'failed' && outcome.status === 'paid' && withdrawal.stripePayoutId === payout.id) {
    await recordLatePayoutOutcome(client, withdrawal.id, { type, payoutId: payout.id, outcome });
    const marked = await markNeedsAttention(client, {
      withdrawalId: withdrawal.id,
      step: 'needs_attention',
      reason: 'payout_paid_after_release',
      detail: { stripe_payout_id: payout.id, stripe_event: type },
      failureCode: 'payout_paid_after_release',
      failureMessage: `${type} came after the hold was released to the wallet: the amount may be both in the wallet and at the bank`,
    });
    return { routed: marked ? 1 : 0 };
  }
  return { routed: 0 };
}

export function stripeWebhookRoutes(pool: Pool, temporal: TemporalDeps, deps: StripeDeps | undefined): Router {
  const router = Router();
  router.post('/stripe/webhook', express.raw({ type: () => true, limit: '1mb' }), async (req, res, next) => {
    try {
      const stripe = requireStripe(deps);
      if (!stripe.webhookSecret) throw new DomainError('unavailable', 'Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET)');
      const signature = req.get('Stripe-Signature');
      if (!signature || !Buffer.isBuffer(req.body)) throw new DomainError('invalid_signature', 'missing Stripe-Signature header');
      let event: Stripe.Event;
      try {
        event = stripe.client.webhooks.constructEvent(req.body, signature, stripe.webhookSecret);
      } catch {
        throw new DomainError('invalid_signature', 'the Stripe signature does not verify (wrong secret, altered body or stale timestamp)');
      }
      const result = await withTransaction(pool, async (client) => {
        if (!(await recordStripeEvent(client, event.id, event.type))) return { duplicate: true, routed: 0 };
        let handled: Handled = { routed: 0 };
        if (event.type === 'account.updated') handled = await onAccountUpdated(client, temporal, event.data.object);
        else if (event.type === 'payout.paid' || event.type === 'payout.failed' || event.type === 'payout.canceled') {
          handled = await onPayout(client, temporal, event.type, event.data.object);
        } else if (isPaymentIntentEvent(event.type)) {
          handled = await onPaymentIntentEvent(client, temporal, event.id, event.type, event.data.object as { id?: unknown });
        }
        return { duplicate: false, ...handled };
      });
      sendJson(res, 200, { received: true, ...result });
    } catch (err) {
      next(err);
    }
  });
  return router;
}
