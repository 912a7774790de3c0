/**
 * Reconciliation with Stripe (migration 013): runs, the Stripe ids a run has seen, the
 * mismatches (one per kind and Stripe object) and the last clean window per environment.
 */
import type { PoolClient, Queryable } from '../pool';


export const MISMATCH_KINDS = ['missing_in_ledger', 'missing_at_stripe', 'amount_differs', 'status_differs'] as const;
export type MismatchKind = (typeof MISMATCH_KINDS)[number];
export type StripeObjectType = 'transfer' | 'transfer_reversal' | 'payout' | 'payment_intent';

export interface ReconciliationRun {
  id: string;
  workflowId: string;
  envId: string | null;
  since: string;
  until: string;
}

/** The run of this workflow, created on first call (a retried activity finds it). */
export async function beginRun(
  db: Queryable,
  r: { workflowId: string; envId: string | null; since: Date; until: Date },
): Promise<ReconciliationRun> {
  // Seen ids of runs that never finished (failed past their budget, terminated) are of no more use.
  await db.query(
    `delete from reconciliation_seen where run_id in
       (select id from reconciliation_runs where status = 'running' and started_at < now() - interval '1 day')`,
  );
  await db.query(
    `insert into reconciliation_runs (workflow_id, env_id, window_start, window_end) values ($1, $2, $3, $4)
     on conflict (workflow_id) do nothing`,
    [r.workflowId, r.envId, r.since, r.until],
  );
  const { rows } = await db.query<{ id: string; env_id: string | null; window_start: Date; window_end: Date }>(
    'select id, env_id, window_start, window_end from reconciliation_runs where workflow_id = $1',
    [r.workflowId],
  );
  const row = rows[0]!;
  return { id: row.id, workflowId: r.workflowId, envId: row.env_id, since: row.window_start.toISOString(), until: row.window_end.toISOString() };
}

/** Notes Stripe ids a run saw in Stripe's lists (the ledger pass skips them). */
export async function markSeen(db: Queryable, runId: string, ids: string[]): Promise<void> {
  if (!ids.length) return;
  await db.query(
    `insert into reconciliation_seen (run_id, stripe_object_id) select $1, unnest($2::text[]) on conflict do nothing`,
    [runId, ids],
  );
}

/** Ends a run: its counts, its seen ids gone, and the clean window of every environment in scope left with no open mismatch. */
export async function finishRun(
  client: PoolClient,
  runId: string,
  counts: { examined: number; matched: number; opened: number; resolved: number },
): Promise<{ openInScope: number; cleanEnvironments: number }> {
  const { rows } = await client.query<{ env_id: string | null; window_start: Date; window_end: Date; status: string }>(
    `update reconciliation_runs set status = 'finished', finished_at = coalesce(finished_at, now()),
       examined = $2, matched = $3, opened = $4, resolved = $5
     where id = $1 returning env_id, window_start, window_end, status`,
    [runId, counts.examined, counts.matched, counts.opened, counts.resolved],
  );
  const run = rows[0]!;
  await client.query('delete from reconciliation_seen where run_id = $1', [runId]);
  const open = await client.query<{ n: number }>(
    `select count(*)::int as n from reconciliation_mismatches where status = 'open' and ($1::bigint is null or env_id = $1)`,
    [run.env_id],
  );
  const clean = await client.query(
    `insert into reconciliation_clean_windows (env_id, window_start, window_end, run_id)
     select e.id, $2, $3, $1 from environments e
     where ($4::bigint is null or e.id = $4)
       and not exists (select 1 from reconciliation_mismatches m where m.env_id = e.id and m.status = 'open')
     on conflict (env_id) do update set window_start = excluded.window_start, window_end = excluded.window_end,
       run_id = excluded.run_id, recorded_at = now()
     where reconciliation_clean_windows.window_end <= excluded.window_end`,
    [runId, run.window_start, run.window_end, run.env_id],
  );
  return { openInScope: open.rows[0]!.n, cleanEnvironments: clean.rowCount ?? 0 };
}

export interface MismatchFacts {
  kind: MismatchKind;
  stripeObjectId: string;
  objectType: StripeObjectType;
  envId: string | null;
  withdrawalId: string | null;
  ledger: Record<string, unknown> | null;
  stripe: Record<string, unknown> | null;
}

export interface MismatchRow {
  id: string;
  kind: MismatchKind;
  stripe_object_id: string;
  object_type: StripeObjectType;
  env_id: string | null;
  withdrawal_id: string | null;
  status: 'open' | 'resolved';
  ledger: Record<string, unknown> | null;
  stripe: Record<string, unknown> | null;
  first_run_id: string;
  last_run_id: string;
  detected_at: Date;
  last_seen_at: Date;
  resolved_at: Date | null;
}

const MISMATCH_COLUMNS =
  'id, kind, stripe_object_id, object_type, env_id, withdrawal_id, status, ledger, stripe, first_run_id, last_run_id, detected_at, last_seen_at, resolved_at';

/**
 * Records a difference in the caller's SQL transaction. `opened` is true when this call
 * made it open (new, or resolved before and found again): the caller then counts it and
 * tells the merchant. Found again while open: the facts are refreshed, nothing else.
 */
export async function upsertMismatch(client: PoolClient, runId: string, m: MismatchFacts): Promise<{ row: MismatchRow; opened: boolean }> {
  const params = [m.kind, m.stripeObjectId, m.objectType, m.envId, m.withdrawalId, JSON.stringify(m.ledger), JSON.stringify(m.stripe), runId];
  const inserted = await client.query<MismatchRow>(
    `insert into reconciliation_mismatches (kind, stripe_object_id, object_type, env_id, withdrawal_id, ledger, stripe, first_run_id, last_run_id)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $8)
     on conflict (kind, stripe_object_id) do nothing
     returning ${MISMATCH_COLUMNS}`,
    params,
  );
  if (inserted.rows[0]) return { row: inserted.rows[0], opened: true };
  const before = await client.query<{ status: string }>(
    'select status from reconciliation_mismatches where kind = $1 and stripe_object_id = $2 for update',
    [m.kind, m.stripeObjectId],
  );
  const reopened = before.rows[0]!.status === 'resolved';
  const { rows } = await client.query<MismatchRow>(
    `update reconciliation_mismatches set
       object_type = $3, env_id = coalesce($4, env_id), withdrawal_id = coalesce($5, withdrawal_id),
       ledger = $6, stripe = $7, last_run_id = $8, last_seen_at = now(),
       status = 'open', resolved_at = null,
       detected_at = case when status = 'resolved' then now() else detected_at end
     where kind = $1 and stripe_object_id = $2
     returning ${MISMATCH_COLUMNS}`,
    params,
  );
  return { row: rows[0]!, opened: reopened };
}

/** Closes the open mismatches of a Stripe object whose kind was not found this time; answers how many. */
export async function resolveMismatches(db: Queryable, runId: string, stripeObjectId: string, stillKinds: MismatchKind[]): Promise<number> {
  const { rowCount } = await db.query(
    `update reconciliation_mismatches set status = 'resolved', resolved_at = now(), last_run_id = $2
     where stripe_object_id = $1 and status = 'open' and not (kind = any($3::text[]))`,
    [stripeObjectId, runId, stillKinds],
  );
  return rowCount ?? 0;
}

export async function listMismatches(
  db: Queryable,
  filter: { status?: 'open' | 'resolved' | null; envId?: string | null; limit: number },
): Promise<MismatchRow[]> {
  const { rows } = await db.query<MismatchRow>(
    `select ${MISMATCH_COLUMNS} from reconciliation_mismatches
     where ($1::text is null or status = $1) and ($2::bigint is null or env_id = $2)
     order by detected_at desc, id desc limit $3`,
    [filter.status ?? null, filter.envId ?? null, filter.limit],
  );
  return rows;
}

export interface CleanWindowRow {
  env_id: string;
  window_start: Date;
  window_end: Date;
  run_id: string;
  recorded_at: Date;
}

export async function listCleanWindows(db: Queryable, envId: string | null): Promise<CleanWindowRow[]> {
  const { rows } = await db.query<CleanWindowRow>(
    `select env_id, window_start, window_end, run_id, recorded_at from reconciliation_clean_windows
     where ($1::bigint is null or env_id = $1) order by env_id`,
    [envId],
  );
  return rows;
}

/** Stripe connected accounts in scope, by account id after `after` (the payouts list runs per account). */
export async function listStripeAccountIds(db: Queryable, envId: string | null, after: string | null, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ stripe_account_id: string }>(
    `select distinct stripe_account_id from stripe_accounts
     where ($1::bigint is null or env_id = $1) and ($2::text is null or stripe_account_id > $2)
     order by stripe_account_id limit $3`,
    [envId, after, limit],
  );
  return rows.map((r) => r.stripe_account_id);
}

/** Withdrawals with a Stripe id recorded, created in the window, not seen by the run: the ledger pass's page. */
export async function listUnseenLedgerObjects(
  db: Queryable,
  q: { runId: string; envId: string | null; since: string; until: string; afterId: string | null; limit: number },
): Promise<{ withdrawalIds: string[]; lastId: string | null }> {
  const { rows } = await db.query<{ id: string; unseen: boolean }>(
    `select w.id,
       (w.stripe_transfer_id is not null and not exists (select 1 from reconciliation_seen s where s.run_id = $1 and s.stripe_object_id = w.stripe_transfer_id))
       or (w.stripe_payout_id is not null and not exists (select 1 from reconciliation_seen s where s.run_id = $1 and s.stripe_object_id = w.stripe_payout_id)) as unseen
     from withdrawals w
     where ($2::bigint is null or w.env_id = $2) and w.created_at >= $3 and w.created_at <= $4
       and (w.stripe_transfer_id is not null or w.stripe_payout_id is not null)
       and ($5::bigint is null or w.id > $5)
     order by w.id limit $6`,
    [q.runId, q.envId, q.since, q.until, q.afterId, q.limit],
  );
  return { withdrawalIds: rows.filter((r) => r.unseen).map((r) => r.id), lastId: rows.length === q.limit ? rows.at(-1)!.id : null };
}

/** Whether the run already saw this Stripe id. */
export async function wasSeen(db: Queryable, runId: string, id: string): Promise<boolean> {
  const { rows } = await db.query('select 1 from reconciliation_seen where run_id = $1 and stripe_object_id = $2', [runId, id]);
  return rows.length > 0;
}
