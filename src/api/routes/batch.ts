/**
 * POST /wallet/batch: up to 1,000 topups, payments and transfers under one
 * Idempotency-Key and one workflow. Each item is validated by its single route's own
 * schema (plus `type`); the service stores the items and runs the `batch` workflow.
 * Entries: src/api/docs/batch.ts.
 */
import { Router } from 'express';
import { z } from 'zod';
import { BATCH_MAX_ITEMS, type BatchItemRequest } from '../../domain/batch';
import type { Pool } from '../../db/pool';
import { runBatch } from '../../services/batch';
import { presentBatch, presentBatchItem } from '../../wire/present';
import { moneyEndpoint, movementAnswer } from '../money-endpoint';
import { id } from '../schemas';
import type { TemporalDeps } from '../temporal';
import { PaymentBody, TopupBody } from './topups-payments';
import { TransferBody } from './transfers';

/**
 * The single route's body schema without env_id (the batch's) and, for topups, `method`: a batch tops up from the funding float only (a card top-up waits for Stripe);
 * for payments, `capture` / `authorization_ttl_seconds`: a batch's payments are captured at once (an authorization is its own workflow, waiting for its capture);
 * and `splits`: a batch payment is paid to revenue by `payIn` (no seller legs, no seller checks), so a split sent in an item
 * would be dropped silently and the sellers' parts kept by the platform. Refused (422 "received unknown parameter: items.N.splits")
 * until batch items carry splits end to end.
 */
const itemOf = <T extends z.ZodRawShape>(type: string, body: z.ZodObject<T>, omit: Record<string, true> = {}) =>
  body.omit({ env_id: true, ...omit } as never).extend({ type: z.literal(type) }).strict();

const BatchItem = z.discriminatedUnion(
  'type',
  [itemOf('topup', TopupBody, { method: true }), itemOf('payment', PaymentBody, { capture: true, authorization_ttl_seconds: true, splits: true }), itemOf('transfer', TransferBody)],
  { error: 'must be topup, payment or transfer' },
);
export const BatchBody = z.object({
  env_id: id,
  atomic: z.boolean({ error: 'must be true or false' }),
  items: z
    .array(BatchItem, { error: 'must be an array of items' })
    .min(1, 'must hold at least one item')
    .max(BATCH_MAX_ITEMS, `must hold at most ${BATCH_MAX_ITEMS} items`),
});

export function batchRoutes(pool: Pool, temporal: TemporalDeps): Router {
  const router = Router();
  router.post(
    '/wallet/batch',
    ...moneyEndpoint(pool, BatchBody, async (body, envId, idem) => {
      const { batch, items, workflowId } = await runBatch({ pool, temporal }, { envId, atomic: body.atomic, items: body.items as BatchItemRequest[] }, idem);
      return movementAnswer(workflowId, { batch: presentBatch(batch), items: items.map(presentBatchItem) });
    }),
  );
  return router;
}
