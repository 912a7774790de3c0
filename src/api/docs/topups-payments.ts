/** OpenAPI entries of routes/movements.ts (registered by src/api/openapi.ts). */
import { z } from 'zod';
import { movementHeaders, OrderSchema, registerRoute, WalletSchema } from './registry';
import { TopupBody, PaymentBody } from '../routes/movements';

export function documentTopupsPayments(): void {
  const wallet = { id: '123', user_id: '123', env_id: '123', balance: 1100.0, held: 0, currency: 'USD', status: 'active', created_at: '2026-01-01T00:00:00.000Z' };
  const workflowIdHeader = { description: 'The Temporal workflow that moved the money (find it in the Web UI)' };

  registerRoute({
    method: 'post', path: '/wallet/topup', tags: ['movements'], summary: 'Top up a wallet',
    description:
      "Runs the `topup` workflow: the money comes out of the environment's funding float (what the merchant deposited). " +
      'A topup the float cannot cover is refused with 422 `funding_limit_exceeded` and moves nothing. Responds with the `Workflow-Id` header.',
    request: { body: TopupBody, headers: movementHeaders, bodyExample: { env_id: 123, user_id: 123, wallet_id: 123, amount: 100 } },
    responses: {
      200: {
        description: `The wallet after the topup. ${workflowIdHeader.description}`,
        schema: z.object({ transaction_id: z.string(), wallet: WalletSchema }),
        example: { transaction_id: '1', wallet },
      },
    },
  });
  registerRoute({
    method: 'post', path: '/wallet/payment', tags: ['movements'], summary: 'Pay for a product from a wallet',
    description: 'Runs the `payment` workflow. Responds with the `Workflow-Id` header.',
    request: { body: PaymentBody, headers: movementHeaders, bodyExample: { env_id: 123, user_id: 123, wallet_id: 123, amount: 100, product_id: 'asd123' } },
    responses: {
      200: {
        description: `The completed order and the wallet. ${workflowIdHeader.description}`,
        schema: z.object({ order: OrderSchema, wallet: WalletSchema }),
        example: {
          order: {
            id: '500000001', env_id: '123', wallet_id: '123', user_id: '123', product_id: 'asd123', amount: 100.0, refunded_amount: 0,
            currency: 'USD', status: 'completed', transaction_id: '2', failure_code: null, created_at: '2026-01-01T00:00:00.000Z',
          },
          wallet: { ...wallet, balance: 1000.0 },
        },
      },
    },
  });

}
