/**
 * A batch of topups, payments and transfers (POST /wallet/batch). The items are in
 * batch_items (stored by the API before the start); the history carries only the batch
 * id and counts, so a batch of 1,000 stays far below Temporal's payload and history limits.
 *
 * - atomic: ONE activity, one SQL transaction for every item; an item's refusal fails the
 *   workflow with `batch_refused` (its index and code in the details), nothing moved.
 * - not atomic: one activity per chunk of BATCH_CHUNK_SIZE items (10 for 1,000), each
 *   item decided on its own; the workflow answers the batch's totals.
 */
import { BATCH_CHUNK_SIZE, type BatchInput, type BatchSummary } from '../domain/batch';
import { businessFailure } from './failures';
import { batchSteps } from './options';

export async function batch(input: BatchInput): Promise<BatchSummary> {
  if (input.atomic) {
    try {
      return await batchSteps.runAtomicBatch({ batchId: input.batchId });
    } catch (err) {
      throw businessFailure(err) ?? err;
    }
  }
  let totals = { succeeded: 0, refused: 0 };
  for (let from = 0; from < input.itemCount; from += BATCH_CHUNK_SIZE) {
    totals = await batchSteps.runBatchChunk({ batchId: input.batchId, from, to: Math.min(from + BATCH_CHUNK_SIZE, input.itemCount) });
  }
  return { batchId: input.batchId, status: 'completed', ...totals };
}
