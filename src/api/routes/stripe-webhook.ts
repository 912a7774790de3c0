/**
 * POST /stripe/webhook. Mounted before the JSON body middleware: the signature covers
 * the exact bytes, so the body is read raw. A bad or stale signature is a 400 and
 * changes nothing. A verified event goes to src/services/stripe-events.ts (routing,
 * redeliveries, signals after the commit; a failure answers 503 so Stripe delivers again).
 */
import express, { Router } from 'express';
import { z } from 'zod';
import { DomainError } from '../../domain/errors';
import type { Pool } from '../../db/pool';
import type { Stripe } from '../../stripe';
import { sendJson } from '../json';
import type { TemporalDeps } from '../temporal';
import { signalAccountReady, signalPayoutOutcome } from '../withdraw-temporal';
import { handleStripeEvent, type WithdrawalSignals } from '../../services/stripe-events';
import { ErrorSchema, registerRoute } from '../openapi';

registerRoute({
  method: 'post', path: '/stripe/webhook', tags: ['stripe'], auth: 'none', summary: 'Stripe webhook events (called by Stripe)',
  description:
    'Authenticated by the `Stripe-Signature` header over the raw body (STRIPE_WEBHOOK_SECRET). Handles `account.updated` and ' +
    '`payout.paid`/`payout.failed`/`payout.canceled`; other event types are acknowledged and ignored. A redelivered event has no second effect.',
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
      description: 'Received. `duplicate`: the event id was seen before; `routed`: how many withdrawals it was delivered to.',
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

/** The withdraw workflow's signals, sent through the API's Temporal client. */
function signalsOf(temporal: TemporalDeps): WithdrawalSignals {
  return {
    accountReady: (workflowId, source) => signalAccountReady(temporal, workflowId, source),
    payoutOutcome: (workflowId, outcome) => signalPayoutOutcome(temporal, workflowId, outcome),
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
