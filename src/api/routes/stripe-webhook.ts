/**
 * POST /stripe/webhook. Mounted before the JSON body middleware: the signature covers
 * the exact bytes, so the body is read raw. A bad or stale signature is a 400 and
 * changes nothing. A verified event goes to src/services/stripe-events.ts (routing,
 * redeliveries, signals after the commit; a failure answers 503 so Stripe delivers again).
 */
import express, { Router } from 'express';
import { DomainError } from '../../domain/errors';
import type { Pool } from '../../db/pool';
import type { Stripe } from '../../stripe';
import { sendJson } from '../json';
import type { TemporalDeps } from '../temporal';
import { signalAccountReady, signalPayoutOutcome } from '../withdraw-temporal';
import { handleStripeEvent, type StripeEventSignals } from '../../services/stripe-events';
import { paymentIntentSignal } from '../../services/card-topups';

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

/** The withdraw and card top-up workflows' signals, sent through the API's Temporal client. */
function signalsOf(temporal: TemporalDeps): StripeEventSignals {
  return {
    accountReady: (workflowId, source) => signalAccountReady(temporal, workflowId, source),
    payoutOutcome: (workflowId, outcome) => signalPayoutOutcome(temporal, workflowId, outcome),
    paymentIntentOutcome: paymentIntentSignal(temporal),
  };
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
      const result = await handleStripeEvent(pool, signalsOf(temporal), event);
      sendJson(res, 200, { received: true, ...result });
    } catch (err) {
      next(err);
    }
  });
  return router;
}
