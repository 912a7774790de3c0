/** OpenAPI entries of routes/topups-payments.ts (registered by src/api/openapi.ts). */
import { z } from 'zod';
import { movementHeaders, OrderWithWalletSchema, registerRoute, WalletSchema } from './registry';
import { CardTopupSchema } from './card-topups';
import { TopupBody, PaymentBody } from '../routes/topups-payments';

export function documentTopupsPayments(): void {
  const wallet = { id: '123', user_id: '123', env_id: '123', balance: 1100.0, held: 0, currency: 'USD', status: 'active', created_at: '2026-01-01T00:00:00.000Z' };
  const workflowIdHeader = { description: 'The Temporal workflow that moved the money (find it in the Web UI)' };

  registerRoute({
    method: 'post', path: '/wallet/topup', tags: ['movements'], summary: 'Top up a wallet',
    description:
      "Funded (default, `method` absent or `funded`): runs the `topup` workflow: the money comes out of the environment's funding float (what the merchant deposited). " +
      'A topup the float cannot cover is refused with 422 `funding_limit_exceeded` and moves nothing. ' +
      'Card (`"method": "card"`): runs the `cardTopup` workflow, which creates a Stripe PaymentIntent and answers at once with `topup.status` ' +
      '`requires_payment` and its `client_secret` (confirm it with Stripe.js); the wallet is credited only when `payment_intent.succeeded` ' +
      'reaches `/stripe/webhook` (follow it with GET /wallet/topups/{topup_id} or the `topup.completed` / `topup.failed` events). ' +
      "Card top-ups do not use the funding float. Responds with the `Workflow-Id` header.",
    request: { body: TopupBody, headers: movementHeaders, bodyExample: { env_id: 123, user_id: 123, wallet_id: 123, amount: 100 } },
    responses: {
      200: {
        description: `Funded: the wallet after the topup. Card: the top-up waiting for its payment and the wallet (not credited yet). ${workflowIdHeader.description}`,
        schema: z.union([
          z.object({ transaction_id: z.string(), wallet: WalletSchema }),
          z.object({ topup: CardTopupSchema, wallet: WalletSchema }),
        ]),
        example: { transaction_id: '1', wallet },
      },
      502: { description: 'Card: Stripe refused to create the PaymentIntent (`provider_error`); the top-up is `failed`' },
    },
  });
  registerRoute({
    method: 'post', path: '/wallet/payment', tags: ['movements'], summary: 'Pay for a product from a wallet',
    description:
      'Runs the `payment` workflow. Responds with the `Workflow-Id` header. ' +
      'With `"capture": false` the amount is held instead (order `authorized`, wallet `held`; event `payment.authorized`) until ' +
      '`POST /wallet/orders/{order_id}/capture/` takes all or part of it, `/void/` releases it, or it voids itself at `expires_at` ' +
      '(`authorization_ttl_seconds`, default 7 days, at most 30). ' +
      "With `splits`, each part goes to a seller's wallet (active, same " +
      "environment and currency; otherwise 422 naming it, nothing moves) and the rest to the environment's revenue, all in one ledger transaction. " +
      'With `"capture": false` the splits are checked at authorization and paid at capture, each part scaled by captured / authorized ' +
      'and rounded down (revenue keeps the rest); a seller no longer active then refuses the capture (422, the hold is kept). ' +
      "The environment's payment fee (PUT /environments/{env_id}/fees) is taken from the sellers' parts in proportion, or from revenue without splits.",
    request: {
      body: PaymentBody,
      headers: movementHeaders,
      bodyExample: { env_id: 123, user_id: 123, wallet_id: 123, amount: 100, product_id: 'asd123', splits: [{ wallet_id: 124, amount: 80 }] },
    },
    responses: {
      200: {
        description: `The completed order and the wallet. ${workflowIdHeader.description}`,
        schema: OrderWithWalletSchema,
        example: {
          order: {
            id: '500000001', env_id: '123', wallet_id: '123', user_id: '123', product_id: 'asd123', amount: 100.0, captured_amount: 100.0, refunded_amount: 0,
            currency: 'USD', status: 'completed', transaction_id: '2', failure_code: null, expires_at: null, void_reason: null, created_at: '2026-01-01T00:00:00.000Z',
            fee: 1.75, splits: [{ wallet_id: '124', amount: 80.0, fee: 1.75 }],
          },
          wallet: { ...wallet, balance: 1000.0 },
        },
      },
    },
  });
}
