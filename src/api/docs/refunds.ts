/** OpenAPI entries of routes/refunds.ts (registered by src/api/openapi.ts). */
import { z } from 'zod';
import { movementHeaders, OrderSchema, RefundSchema, registerRoute, WalletSchema } from './registry';
import { RefundBody } from '../routes/refunds';

export function documentRefunds(): void {
  registerRoute({
    method: 'post', path: '/wallet/refund', tags: ['movements'], summary: 'Refund a completed payment, in full or in part',
    description:
      'Without `amount`, refunds what is left of the order. Runs the `refund` workflow. Responds with the `Workflow-Id` header. ' +
      "A split payment's refund takes back from each seller in proportion to what it kept (rounded down; revenue gives the rest): " +
      "409 `seller_insufficient_funds` naming the seller whose balance no longer allows it, unless `from_revenue: true`. Fees are not given back.",
    request: { body: RefundBody, headers: movementHeaders, bodyExample: { env_id: 123, order_id: 500000001, amount: 40 } },
    responses: {
      200: {
        description: 'The refund, the order after it and the wallet credited. The Temporal workflow that moved the money is in the `Workflow-Id` header.',
        schema: z.object({ refund: RefundSchema, order: OrderSchema, wallet: WalletSchema }),
        example: {
          refund: { id: '800000001', order_id: '500000001', amount: 40.0, currency: 'USD', from_revenue: false, splits: [] },
          order: {
            id: '500000001', env_id: '123', wallet_id: '123', user_id: '123', product_id: 'asd123', amount: 100.0, captured_amount: 100.0, refunded_amount: 40.0,
            currency: 'USD', status: 'partially_refunded', transaction_id: '2', failure_code: null, expires_at: null, void_reason: null, created_at: '2026-01-01T00:00:00.000Z',
            fee: 0, splits: [],
          },
          wallet: { id: '123', user_id: '123', env_id: '123', balance: 1040.0, held: 0, currency: 'USD', status: 'active', created_at: '2026-01-01T00:00:00.000Z' },
        },
      },
      409: { description: 'The Idempotency-Key was used with another request; nothing left to refund; a seller no longer holds its share (`seller_insufficient_funds`)' },
    },
  });

}
