/**
 * Batch activities (POST /wallet/batch; src/workflows/batch.ts). Each reads its items from
 * batch_items by batch id (the history carries ids and counts, never the items) and posts
 * every item with the single movements' own functions (topupIn, payIn, transferIn →
 * postTransaction: status, currency, funds, spend limits, funding float, outbox event), so
 * an item obeys exactly the rules of its single route.
 *
 * Lock order: every wallet the items name is locked first, in ascending id order (the one
 * order every writer uses), so two batches, or a batch and single movements, cannot
 * deadlock; postTransaction's own locks are then already held. A topup's funding-float
 * row stays the last lock taken.
 */
import { BUSINESS_ERROR_CODES, DomainError } from '../domain/errors';
import {
  batchItemWalletIds,
  resolveBatchItem,
  type BatchChunk,
  type BatchItemError,
  type BatchMovement,
  type BatchSummary,
} from '../domain/batch';
import type { Wallet } from '../domain/types';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import { listBatchItems, lockBatch, markBatchRefused, recordItemOutcomes, updateBatchCounts, type Batch, type BatchItem, type ItemOutcome } from '../db/queries/batches';
import { lockWallets } from '../db/queries/wallets';
import { isPermanentDatabaseError } from './failures';
import { payIn, topupIn } from './ledger';
import { transferIn } from './transfer';

/** One item: the single route's checks, then the single movement's posting function. */
async function postItem(client: PoolClient, batch: Batch, item: BatchItem, wallets: Map<string, Wallet>): Promise<unknown> {
  const movement: BatchMovement = resolveBatchItem(item.request, batch.envId, wallets, `${batch.workflowId}:item-${item.index}`);
  switch (movement.type) {
    case 'topup':
      return topupIn(client, movement.input);
    case 'payment':
      return payIn(client, movement.input);
    case 'transfer':
      return transferIn(client, movement.input);
  }
}

async function lockItemWallets(client: PoolClient, envId: string, items: BatchItem[]): Promise<Map<string, Wallet>> {
  const ids = [...new Set(items.flatMap((i) => batchItemWalletIds(i.request)))];
  return new Map((await lockWallets(client, envId, ids)).map((w) => [w.id, w]));
}

function isRefusal(err: unknown): err is DomainError {
  return err instanceof DomainError && BUSINESS_ERROR_CODES.includes(err.code);
}

function itemError(err: DomainError): BatchItemError {
  return { code: err.code, message: err.message, details: err.details };
}

function summaryOf(batch: Batch): BatchSummary {
  return { batchId: batch.id, status: 'completed', succeeded: batch.succeeded, refused: batch.refused };
}

/** Thrown inside the atomic batch's transaction to roll it all back. */
class ItemRefused extends Error {
  constructor(
    readonly index: number,
    readonly refusal: DomainError,
  ) {
    super(refusal.message);
  }
}

export function createBatchActivities({ pool }: { pool: Pool }) {
  return {
    /**
     * An atomic batch: every item in ONE SQL transaction (each item its own ledger
     * transaction, with its own idempotency id and event), so either all commit or none.
     * The first item refused rolls everything back; the batch is then marked refused and
     * the activity fails with `batch_refused` naming the item's index and code. A retry
     * after a lost commit finds the batch completed and answers its counts.
     */
    async runAtomicBatch(input: { batchId: string }): Promise<BatchSummary> {
      let refusal: (BatchItemError & { index: number }) | null = null;
      try {
        const summary = await withTransaction(pool, async (client) => {
          const batch = await lockBatch(client, input.batchId);
          if (!batch) throw new Error(`batch ${input.batchId} not found`);
          if (batch.status === 'completed') return summaryOf(batch);
          if (batch.refusal) {
            refusal = batch.refusal;
            return null;
          }
          const items = await listBatchItems(client, batch.id);
          const wallets = await lockItemWallets(client, batch.envId, items);
          const outcomes: ItemOutcome[] = [];
          for (const item of items) {
            try {
              outcomes.push({ index: item.index, result: await postItem(client, batch, item, wallets) });
            } catch (err) {
              if (isRefusal(err)) throw new ItemRefused(item.index, err);
              throw err;
            }
          }
          await recordItemOutcomes(client, batch.id, outcomes);
          return summaryOf(await updateBatchCounts(client, batch.id));
        });
        if (summary) return summary;
      } catch (err) {
        if (!(err instanceof ItemRefused)) throw err;
        // Everything rolled back; the refusal is kept on the batch (a retry answers the same).
        refusal = { index: err.index, ...itemError(err.refusal) };
        await markBatchRefused(pool, input.batchId, refusal);
      }
      const r = refusal!;
      throw new DomainError('batch_refused', `item ${r.index} was refused (${r.code}): ${r.message}; nothing of the batch moved`, { ...r });
    },

    /**
     * A chunk of a non-atomic batch (items from ≤ index < to) in one SQL transaction, each
     * item in a savepoint: a refusal (or a data error Postgres will never accept) rolls
     * back that item alone and is recorded as its outcome; the others go on. Items already
     * decided (a retry after a lost commit) are skipped, so nothing posts twice. Any other
     * error (Postgres down, a deadlock) fails the chunk and its retry runs it again.
     */
    async runBatchChunk(input: BatchChunk): Promise<{ succeeded: number; refused: number }> {
      // Answers the batch's totals after this chunk (every chunk before it included).
      return withTransaction(pool, async (client) => {
        const batch = await lockBatch(client, input.batchId);
        if (!batch) throw new Error(`batch ${input.batchId} not found`);
        const items = (await listBatchItems(client, batch.id, input.from, input.to)).filter((i) => i.status === 'pending');
        const wallets = await lockItemWallets(client, batch.envId, items);
        const outcomes: ItemOutcome[] = [];
        for (const item of items) {
          await client.query('savepoint item');
          try {
            const result = await postItem(client, batch, item, wallets);
            await client.query('release savepoint item');
            outcomes.push({ index: item.index, result });
          } catch (err) {
            if (!isRefusal(err) && !isPermanentDatabaseError(err)) throw err;
            await client.query('rollback to savepoint item');
            await client.query('release savepoint item');
            outcomes.push({
              index: item.index,
              error: isRefusal(err)
                ? itemError(err)
                : { code: 'internal', message: `the item could not be posted (Postgres refused it); workflow ${batch.workflowId}`, details: {} },
            });
          }
        }
        await recordItemOutcomes(client, batch.id, outcomes);
        // The batch's totals so far (not this call's): a retried chunk answers the same.
        const after = await updateBatchCounts(client, batch.id);
        return { succeeded: after.succeeded, refused: after.refused };
      });
    },
  };
}
