/**
 * Idempotency keys: (environment, key) → hash of the request, the workflow it
 * started and, once finished, the answer it got. See src/api/idempotency.ts.
 */
import type { Pool } from '../pool';

export interface StoredKey {
  requestHash: string;
  workflowId: string | null;
  responseStatus: number | null;
  responseBody: string | null;
}

/**
 * Inserts the key unless it exists; returns the row as it stands and whether this
 * call inserted it. Two racing first requests: one inserts, the other reads its row.
 */
export async function claimKey(
  pool: Pool,
  k: { envId: string; key: string; requestHash: string; method: string; path: string },
): Promise<{ row: StoredKey; inserted: boolean }> {
  const inserted = await pool.query(
    `insert into idempotency_keys (env_id, key, request_hash, method, path) values ($1, $2, $3, $4, $5)
     on conflict (env_id, key) do nothing`,
    [k.envId, k.key, k.requestHash, k.method, k.path],
  );
  const { rows } = await pool.query<{ request_hash: string; workflow_id: string | null; response_status: number | null; response_body: string | null }>(
    `select request_hash, workflow_id, response_status, response_body from idempotency_keys where env_id = $1 and key = $2`,
    [k.envId, k.key],
  );
  const r = rows[0]!;
  return {
    inserted: inserted.rowCount === 1,
    row: { requestHash: r.request_hash, workflowId: r.workflow_id, responseStatus: r.response_status, responseBody: r.response_body },
  };
}

/** Stores the first final answer; later ones (concurrent waiters) change nothing. */
export async function storeResponse(
  pool: Pool,
  k: { envId: string; key: string; workflowId: string | null; status: number; body: string },
): Promise<void> {
  await pool.query(
    `update idempotency_keys set workflow_id = coalesce($3, workflow_id), response_status = $4, response_body = $5, completed_at = now()
     where env_id = $1 and key = $2 and response_status is null`,
    [k.envId, k.key, k.workflowId, k.status, k.body],
  );
}

/** Deletes keys older than the retention (in hours, at least 24). Returns how many. */
export async function purgeKeys(pool: Pool, retentionHours: number, limit = 1000): Promise<number> {
  const { rowCount } = await pool.query(
    `delete from idempotency_keys where ctid = any(array(
       select ctid from idempotency_keys where created_at < now() - make_interval(hours => $1) limit $2))`,
    [retentionHours, limit],
  );
  return rowCount ?? 0;
}
