/**
 * Batches (POST /wallet/batch): store the validated items under the batch's workflow id,
 * run the `batch` workflow (start or attach, bounded wait: src/api/temporal.ts), then read
 * the items' outcomes back. The workflow's history holds the batch id and counts only.
 *
 * The workflow id is made first (from the Idempotency-Key and the request's hash, as for
 * every movement) because the batch row is keyed by it: a retried or concurrent twin
 * request finds the batch the first one stored and attaches to the same workflow.
 */
import type { BatchInput, BatchItemRequest, BatchSummary } from '../domain/batch';
import type { Pool } from '../db/pool';
import { createBatch, findBatch, listBatchItems, type Batch, type BatchItem } from '../db/queries/batches';
import type { Idempotency } from '../api/idempotency';
import { runMovement, workflowIdFor, type TemporalDeps } from '../api/temporal';

export interface BatchRequest {
  envId: string;
  atomic: boolean;
  items: BatchItemRequest[];
}

export interface BatchOutcome {
  batch: Batch;
  items: BatchItem[];
  workflowId: string;
}

/**
 * Runs the batch to its end. An atomic batch refused by an item throws `batch_refused`
 * (422, the item's index and code in the details); a non-atomic one answers every item.
 */
export async function runBatch(deps: { pool: Pool; temporal: TemporalDeps }, req: BatchRequest, idem: Idempotency): Promise<BatchOutcome> {
  const workflowId = workflowIdFor('batch', req.envId, idem.idempotencyKey, idem.requestHash);
  const stored = await createBatch(deps.pool, { workflowId, envId: req.envId, atomic: req.atomic, items: req.items });
  await runMovement<BatchInput, BatchSummary>(deps.temporal, {
    kind: 'batch',
    workflowType: 'batch',
    envId: req.envId,
    workflowId,
    ...idem,
    args: { batchId: stored.id, atomic: stored.atomic, itemCount: stored.itemCount },
  });
  const [batch, items] = await Promise.all([findBatch(deps.pool, stored.id), listBatchItems(deps.pool, stored.id)]);
  return { batch: batch!, items, workflowId };
}
