/** OpenAPI entries of routes/card-topups.ts (registered by src/api/openapi.ts); CardTopup also answers POST /wallet/topup "method": "card". */
import { z } from 'zod';
import { CARD_TOPUP_STATUSES } from '../../domain/card-topups';
import { CURRENCIES } from '../../domain/money';
import { registerRoute, registry, walletRecordFields } from './registry';
import { withTimeline } from './responses';
import { EnvQuery, TopupParams } from '../routes/card-topups';

const moneyOut = z.number().openapi({ example: 100.0 });

export const CardTopupSchema = registry.register(
  'CardTopup',
  z.object({
    ...walletRecordFields,
    method: z.literal('card'),
    status: z.enum(CARD_TOPUP_STATUSES),
    amount: moneyOut,
    currency: z.enum(CURRENCIES as [string, ...string[]]),
    payment_intent_id: z.string().nullable(),
    client_secret: z.string().nullable().openapi({ description: "For Stripe.js's confirmCardPayment; null once the top-up has ended" }),
    expires_at: z.string().nullable(),
    transaction_id: z.string().nullable().openapi({ description: 'The credit posting (set when completed)' }),
    available_at: z.string().nullable().openapi({ description: "When Stripe's balance transaction made the money available (clearing → Stripe balance)" }),
    failure_code: z.string().nullable(),
    failure_message: z.string().nullable(),
    attention_reason: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  }),
);

export const cardTopupExample = {
  id: '800000001', env_id: '123', wallet_id: '123', user_id: '123', method: 'card', status: 'requires_payment', amount: 100.0, currency: 'USD',
  payment_intent_id: 'pi_3QxYzAbCdEfGhIjK', client_secret: 'pi_3QxYzAbCdEfGhIjK_secret_aBcDeFgHiJkL', expires_at: '2026-01-02T00:00:00.000Z',
  transaction_id: null, available_at: null, failure_code: null, failure_message: null, attention_reason: null,
  created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.300Z',
};


export function documentCardTopups(): void {
  registerRoute({
    method: 'get', path: '/wallet/topups/:topup_id', tags: ['movements'], summary: 'A card top-up and its timeline',
    request: { params: TopupParams, query: EnvQuery },
    responses: {
      200: withTimeline(
        'The card top-up, with every step recorded (workflow and Stripe events), oldest first',
        CardTopupSchema,
        z.object({ step: z.string(), detail: z.record(z.string(), z.unknown()), at: z.string() }),
        {
          ...cardTopupExample, status: 'completed', client_secret: null, transaction_id: '42', available_at: '2026-01-01T00:05:00.000Z',
          timeline: [
            { step: 'created', detail: { amount_minor: '10000', currency: 'USD' }, at: '2026-01-01T00:00:00.000Z' },
            { step: 'payment_intent_created', detail: { payment_intent_id: 'pi_3QxYzAbCdEfGhIjK' }, at: '2026-01-01T00:00:00.300Z' },
            { step: 'payment_succeeded', detail: { stripe_event_id: 'evt_3QxYz', stripe_event: 'payment_intent.succeeded' }, at: '2026-01-01T00:01:00.000Z' },
            { step: 'credited', detail: { transaction_id: '42' }, at: '2026-01-01T00:01:00.050Z' },
            { step: 'funds_available', detail: { transaction_id: '43', stripe_balance_transaction_id: 'txn_3QxYz', stripe_fee: '320', stripe_fee_currency: 'USD' }, at: '2026-01-01T00:05:00.000Z' },
          ],
        },
      ),
    },
  });
}
