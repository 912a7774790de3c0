/** OpenAPI entries of routes/batch.ts (registered by src/api/openapi.ts). */
import { z } from 'zod';
import { movementHeaders, OrderSchema, registerRoute, TransferSchema, WalletSchema } from './registry';
import { idempotencyConflict } from './responses';
import { BatchBody } from '../routes/batch';

export function documentBatch(): void {
  const wallet = { id: '123', user_id: 'alice', env_id: '123', balance: 974.5, held: 0, currency: 'USD', status: 'active', created_at: '2026-01-01T00:00:00.000Z' };
  const ItemError = z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) });
  const BatchItemResult = z.object({
    index: z.number().int(),
    type: z.enum(['topup', 'payment', 'transfer']),
    status: z.enum(['succeeded', 'refused']),
    transaction_id: z.string().optional().openapi({ description: 'topup: its ledger transaction' }),
    order: OrderSchema.optional(),
    transfer: TransferSchema.optional(),
    wallet: WalletSchema.optional().openapi({ description: 'The wallet the item names (a transfer: its source) after the item' }),
    error: ItemError.optional().openapi({ description: 'Why the item was refused (non-atomic batches)' }),
  });

  registerRoute({
    method: 'post', path: '/wallet/batch', tags: ['movements'], summary: 'Many topups, payments and transfers in one request',
    description:
      'Up to 1,000 items, each with a `type` (`topup`, `payment`, `transfer`) and the fields of that single route (without `env_id`; a payment without `capture`, `authorization_ttl_seconds` and `splits`), ' +
      'validated by the same schema and held to the same rules (wallet of the user, status, currency, funds, spend limits, funding float). ' +
      'One `Idempotency-Key` covers the whole batch; one `batch` workflow runs it (`Workflow-Id` header). ' +
      '`atomic: true`: every item in one SQL transaction; the first refused item refuses the batch with 422 `batch_refused` ' +
      '(`details.index`, `details.code`) and nothing moves. `atomic: false`: each item succeeds or is refused on its own; ' +
      'the answer lists every item in order. One webhook event per item that moved. The body may be up to 1 MB.',
    request: {
      body: BatchBody,
      headers: movementHeaders,
      bodyExample: {
        env_id: 123,
        atomic: true,
        items: [
          { type: 'topup', user_id: 'alice', wallet_id: 123, amount: 100 },
          { type: 'transfer', user_id: 'alice', wallet_id: 123, to_wallet_id: 124, amount: 25.5, reference: 'rent' },
          { type: 'payment', user_id: 'alice', wallet_id: 123, amount: 10, product_id: 'sku-1' },
        ],
      },
    },
    responses: {
      200: {
        description: 'The batch and every item in order: the single route\'s answer (`transaction_id`, `order` or `transfer`, and `wallet`), or `error` for a refused item.',
        schema: z.object({
          batch: z.object({
            id: z.string(), env_id: z.string(), atomic: z.boolean(), status: z.enum(['completed']), item_count: z.number().int(),
            succeeded: z.number().int(), refused: z.number().int(), created_at: z.string(),
          }),
          items: z.array(BatchItemResult),
        }),
        example: {
          batch: { id: '800000001', env_id: '123', atomic: false, status: 'completed', item_count: 2, succeeded: 1, refused: 1, created_at: '2026-01-01T00:00:00.000Z' },
          items: [
            {
              index: 0, type: 'transfer', status: 'succeeded',
              transfer: { id: '700000001', env_id: '123', from_wallet_id: '123', to_wallet_id: '124', amount: 25.5, currency: 'USD', reference: 'rent', fee: 0 },
              wallet,
            },
            {
              index: 1, type: 'payment', status: 'refused',
              error: { code: 'insufficient_funds', message: 'wallet 123 has insufficient funds', details: { wallet_id: '123', balance_minor: '97450', required_minor: '1000000' } },
            },
          ],
        },
      },
      409: idempotencyConflict,
      413: { description: 'The body is larger than 1 MB' },
    },
  });
}
