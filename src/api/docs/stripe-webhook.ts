/** OpenAPI entries of routes/stripe-webhook.ts (registered by src/api/openapi.ts). */
import { z } from 'zod';
import { ErrorSchema, registerRoute } from './registry';

export function documentStripeWebhook(): void {
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

}
