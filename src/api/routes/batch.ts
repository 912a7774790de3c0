/**
 * POST /wallet/batch: up to 1,000 topups, payments and transfers under one
 * Idempotency-Key and one workflow. Each item is validated by its single route's own
 * schema (plus `type`); the service stores the items and runs the `batch` workflow.
 */
import { Router } from 'express';
import { z } from 'zod';
import { BATCH_MAX_ITEMS, type BatchItemRequest } from '../../domain/batch';
import type { Pool } from '../../db/pool';
import { runBatch } from '../../services/batch';
import { presentBatch, presentBatchItem } from '../../wire/present';
import { requireEnv } from '../auth';
import { respondIdempotently } from '../idempotency';
import { movementHeaders, OrderSchema, registerRoute, TransferSchema, WalletSchema } from '../openapi';
import { id } from '../schemas';
import type { TemporalDeps } from '../temporal';
import { endpoint } from '../validate';
import { PaymentBody, TopupBody } from './movements';
import { TransferBody } from './transfers';

/**
 * The single route's body schema without env_id (the batch's) and, for topups, `method`: a batch tops up from the funding float only (a card top-up waits for Stripe);
 * for payments, `capture` / `authorization_ttl_seconds`: a batch's payments are captured at once (an authorization is its own workflow, waiting for its capture).
 */
const itemOf = <T extends z.ZodRawShape>(type: string, body: z.ZodObject<T>, omit: Record<string, true> = {}) =>
  body.omit({ env_id: true, ...omit } as never).extend({ type: z.literal(type) }).strict();

const BatchItem = z.discriminatedUnion(
  'type',
  [itemOf('topup', TopupBody, { method: true }), itemOf('payment', PaymentBody, { capture: true, authorization_ttl_seconds: true }), itemOf('transfer', TransferBody)],
  { error: 'must be topup, payment or transfer' },
);
const BatchBody = z.object({
  env_id: id,
  atomic: z.boolean({ error: 'must be true or false' }),
  items: z
    .array(BatchItem, { error: 'must be an array of items' })
    .min(1, 'must hold at least one item')
    .max(BATCH_MAX_ITEMS, `must hold at most ${BATCH_MAX_ITEMS} items`),
});

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
    'Up to 1,000 items, each with a `type` (`topup`, `payment`, `transfer`) and the fields of that single route (without `env_id`), ' +
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
            transfer: { id: '700000001', env_id: '123', from_wallet_id: '123', to_wallet_id: '124', amount: 25.5, currency: 'USD', reference: 'rent' },
            wallet,
          },
          {
            index: 1, type: 'payment', status: 'refused',
            error: { code: 'insufficient_funds', message: 'wallet 123 has insufficient funds', details: { wallet_id: '123', balance_minor: '97450', required_minor: '1000000' } },
          },
        ],
      },
    },
    409: { description: 'The Idempotency-Key was used with another request' },
    413: { description: 'The body is larger than 1 MB' },
  },
});

export function batchRoutes(pool: Pool, temporal: TemporalDeps): Router {
  const router = Router();
  router.post(
    '/wallet/batch',
    ...endpoint({ body: BatchBody }, async ({ body }, req, res) => {
      const envId = requireEnv(res, body.env_id);
      await respondIdempotently(pool, req, res, envId, async (idem) => {
        const { batch, items, workflowId } = await runBatch(
          { pool, temporal },
          { envId, atomic: body.atomic, items: body.items as BatchItemRequest[] },
          idem,
        );
        return { status: 200, workflowId, body: { batch: presentBatch(batch), items: items.map(presentBatchItem) } };
      });
    }),
  );
  return router;
}
