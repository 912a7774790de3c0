/**
 * Batches (migration 020): the API stores a batch and its items before it starts the
 * batch's workflow; the workflow's activities read the items by batch id and write each
 * item's outcome in the SQL transaction that moves its money.
 */
import type { BatchItemError, BatchItemRequest, BatchItemType } from '../../domain/batch';
import type { Pool, PoolClient, Queryable } from '../pool';
import { camelize } from '../rows';
import { selectOne } from '../select';


export type BatchStatus = 'pending' | 'completed' | 'refused';

export interface Batch {
  id: string;
  workflowId: string;
  envId: string;
  atomic: boolean;
  itemCount: number;
  status: BatchStatus;
  succeeded: number;
  refused: number;
  /** An atomic batch's refusal: the item that refused it. */
  refusal: (BatchItemError & { index: number }) | null;
  createdAt: string;
}

export interface BatchItem {
  index: number;
  type: BatchItemType;
  request: BatchItemRequest;
  status: 'pending' | 'succeeded' | 'refused';
  /** The movement's result (domain shapes: amounts as strings of minor units). */
  result: unknown;
  error: BatchItemError | null;
}

interface BatchRow {
  id: string;
  workflow_id: string;
  env_id: string;
  atomic: boolean;
  item_count: number;
  status: BatchStatus;
  succeeded: number;
  refused: number;
  refusal: (BatchItemError & { index: number }) | null;
  created_at: Date;
}

const BATCH_COLUMNS = 'id, workflow_id, env_id, atomic, item_count, status, succeeded, refused, refusal, created_at';

const batchFromRow = (r: BatchRow): Batch => camelize(r);

/**
 * Stores the batch and its items in one statement, once per workflow id: a retried
 * request (same Idempotency-Key and body: same workflow id) gets the batch stored first.
 * The items go in as one JSON array (strings only: no number crosses as a float).
 */
export async function createBatch(
  db: Queryable,
  b: { workflowId: string; envId: string; atomic: boolean; items: BatchItemRequest[] },
): Promise<Batch> {
  const { rows } = await db.query<BatchRow>(
    `with b as (
       insert into batches (workflow_id, env_id, atomic, item_count)
       values ($1, $2, $3, $4)
       on conflict (workflow_id) do nothing
       returning ${BATCH_COLUMNS}
     ), i as (
       insert into batch_items (batch_id, idx, type, request)
       select b.id, e.ord - 1, e.value->>'type', e.value
       from b, jsonb_array_elements($5::jsonb) with ordinality as e(value, ord)
     )
     select * from b
     union all
     select ${BATCH_COLUMNS} from batches where workflow_id = $1 and not exists (select 1 from b)`,
    [b.workflowId, b.envId, b.atomic, b.items.length, JSON.stringify(b.items)],
  );
  if (rows[0]) return batchFromRow(rows[0]);
  // A twin inserted it concurrently: the insert waited for its commit, but this statement's
  // snapshot predates it. A new statement sees it.
  const again = await db.query<BatchRow>(`select ${BATCH_COLUMNS} from batches where workflow_id = $1`, [b.workflowId]);
  return batchFromRow(again.rows[0]!);
}

/** Locks the batch row: the activities of one batch (a retry, a twin) run one at a time. */
export async function lockBatch(client: PoolClient, batchId: string): Promise<Batch | null> {
  return selectOne(client, `select ${BATCH_COLUMNS} from batches where id = $1 for update`, [batchId], batchFromRow);
}

export async function findBatch(db: Queryable, batchId: string): Promise<Batch | null> {
  return selectOne(db, `select ${BATCH_COLUMNS} from batches where id = $1`, [batchId], batchFromRow);
}

interface ItemRow {
  idx: number;
  type: BatchItemType;
  request: BatchItemRequest;
  status: BatchItem['status'];
  result: unknown;
  error: BatchItemError | null;
}

/** Items from ≤ idx < to, in order. */
export async function listBatchItems(db: Queryable, batchId: string, from = 0, to = 2 ** 31 - 1): Promise<BatchItem[]> {
  const { rows } = await db.query<ItemRow>(
    `select idx, type, request, status, result, error from batch_items where batch_id = $1 and idx >= $2 and idx < $3 order by idx`,
    [batchId, from, to],
  );
  return rows.map((r) => ({ index: r.idx, type: r.type, request: r.request, status: r.status, result: r.result, error: r.error }));
}

export type ItemOutcome = { index: number; result: unknown } | { index: number; error: BatchItemError };

/** Writes the outcomes of items still pending (one statement); items already decided stay as they are. */
export async function recordItemOutcomes(client: PoolClient, batchId: string, outcomes: ItemOutcome[]): Promise<void> {
  if (!outcomes.length) return;
  await client.query(
    `update batch_items i set status = o.status, result = o.result, error = o.error
     from unnest($2::int[], $3::text[], $4::jsonb[], $5::jsonb[]) as o(idx, status, result, error)
     where i.batch_id = $1 and i.idx = o.idx and i.status = 'pending'`,
    [
      batchId,
      outcomes.map((o) => o.index),
      outcomes.map((o) => ('error' in o ? 'refused' : 'succeeded')),
      outcomes.map((o) => ('error' in o ? null : JSON.stringify(o.result))),
      outcomes.map((o) => ('error' in o ? JSON.stringify(o.error) : null)),
    ],
  );
}

/** Counts the items' outcomes into the batch; `completed` once no item is pending. */
export async function updateBatchCounts(client: PoolClient, batchId: string): Promise<Batch> {
  const { rows } = await client.query<BatchRow>(
    `with c as (
       select count(*) filter (where status = 'succeeded')::int as ok,
              count(*) filter (where status = 'refused')::int as refused,
              count(*) filter (where status = 'pending')::int as pending
       from batch_items where batch_id = $1
     )
     update batches b set succeeded = c.ok, refused = c.refused,
       status = case when c.pending = 0 then 'completed' else b.status end,
       finished_at = case when c.pending = 0 then now() else null end
     from c where b.id = $1
     returning ${BATCH_COLUMNS.split(', ').map((c) => 'b.' + c).join(', ')}`,
    [batchId],
  );
  return batchFromRow(rows[0]!);
}

/** An atomic batch refused by one of its items (nothing of it moved). */
export async function markBatchRefused(db: Queryable, batchId: string, refusal: BatchItemError & { index: number }): Promise<void> {
  await db.query(
    `update batches set status = 'refused', refusal = $2, finished_at = now() where id = $1 and status = 'pending'`,
    [batchId, JSON.stringify(refusal)],
  );
}
