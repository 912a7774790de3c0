/** OpenAPI entries of routes/transfers.ts (registered by src/api/openapi.ts). */
import { z } from 'zod';
import { movementHeaders, registerRoute, TransferSchema, WalletSchema } from './registry';
import { idempotencyConflict } from './responses';
import { TransferBody } from '../routes/transfers';

export function documentTransfers(): void {
  registerRoute({
    method: 'post', path: '/wallet/transfer', tags: ['movements'], summary: 'Transfer between two wallets of the environment',
    description:
      "From a wallet of the user to any other wallet of the same environment and currency. Runs the `transfer` workflow. Responds with the `Workflow-Id` header. " +
      "The environment's transfer fee (PUT /environments/{env_id}/fees) is charged to the sender on top of the amount, to the `fees` account in the same ledger transaction " +
      '(422 `insufficient_funds` when amount + fee is not there).',
    request: {
      body: TransferBody,
      headers: movementHeaders,
      bodyExample: { env_id: 123, user_id: 123, wallet_id: 123, to_wallet_id: 124, amount: 25.5, reference: 'rent march', fee: 0.63 },
    },
    responses: {
      200: {
        description: 'The transfer and the source wallet after it. The Temporal workflow that moved the money is in the `Workflow-Id` header.',
        schema: z.object({ transfer: TransferSchema, wallet: WalletSchema }),
        example: {
          transfer: { id: '700000001', env_id: '123', from_wallet_id: '123', to_wallet_id: '124', amount: 25.5, currency: 'USD', reference: 'rent march', fee: 0.63 },
          wallet: { id: '123', user_id: '123', env_id: '123', balance: 973.87, held: 0, currency: 'USD', status: 'active', created_at: '2026-01-01T00:00:00.000Z' },
        },
      },
      409: idempotencyConflict,
    },
  });

}
