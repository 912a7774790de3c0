/** Schedules and their runs (migration 012). */
import type { RunOutcome, Schedule, ScheduleKind, ScheduleRun, ScheduleStatus } from '../../domain/schedules';
import type { PoolClient, Queryable } from '../pool';
import { camelize, type WalletMovementColumns } from '../rows';
import { selectOne } from '../select';
import { newestFirstPage } from '../sql';


interface ScheduleRow extends WalletMovementColumns {
  kind: ScheduleKind;
  product_id: string | null;
  to_wallet_id: string | null;
  cron: string | null;
  every_seconds: string | null;
  timezone: string | null;
  start_at: Date | null;
  end_at: Date | null;
  status: ScheduleStatus;
  status_reason: string | null;
  consecutive_failures: number;
  temporal_schedule_id: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'id, env_id, wallet_id, user_id, kind, amount, currency, product_id, to_wallet_id, cron, every_seconds, timezone, start_at, end_at, status, status_reason, consecutive_failures, temporal_schedule_id, created_at, updated_at';

/** every_seconds is a bigint (a string from pg); the domain counts it as a number. */
function fromRow(r: ScheduleRow): Schedule {
  return { ...camelize(r), everySeconds: r.every_seconds === null ? null : Number(r.every_seconds) };
}

interface RunRow {
  schedule_id: string;
  scheduled_at: Date;
  workflow_id: string;
  outcome: RunOutcome;
  movement_id: string | null;
  movement_workflow_id: string | null;
  code: string | null;
  message: string | null;
  created_at: Date;
  finished_at: Date | null;
}

const RUN_COLUMNS = 'schedule_id, scheduled_at, workflow_id, outcome, movement_id, movement_workflow_id, code, message, created_at, finished_at';

const runFromRow = (r: RunRow): ScheduleRun => camelize(r);

/** What a create writes: the schedule's own terms (the rest is state the rows keep). */
export type NewSchedule = Pick<
  Schedule,
  'envId' | 'walletId' | 'userId' | 'kind' | 'amount' | 'currency' | 'productId' | 'toWalletId' | 'cron' | 'everySeconds' | 'timezone' | 'startAt' | 'endAt'
> & { idempotencyKey: string | null };

/**
 * Inserts the schedule (its Temporal id derives from its own id). With an
 * Idempotency-Key already used in the environment, returns that schedule instead
 * (`created: false`), so a retried create never makes a second schedule.
 */
export async function insertSchedule(db: Queryable, s: NewSchedule): Promise<{ schedule: Schedule; created: boolean }> {
  const { rows } = await db.query<ScheduleRow>(
    `with next as (select nextval(pg_get_serial_sequence('schedules', 'id')) as id)
     insert into schedules (id, env_id, wallet_id, user_id, kind, amount, currency, product_id, to_wallet_id, cron, every_seconds,
                            timezone, start_at, end_at, temporal_schedule_id, idempotency_key)
     select next.id, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'paynocchio-schedule-' || next.id, $14 from next
     on conflict (env_id, idempotency_key) do nothing
     returning ${COLUMNS}`,
    [s.envId, s.walletId, s.userId, s.kind, s.amount, s.currency, s.productId, s.toWalletId, s.cron, s.everySeconds, s.timezone, s.startAt, s.endAt, s.idempotencyKey],
  );
  if (rows[0]) return { schedule: fromRow(rows[0]), created: true };
  const existing = await db.query<ScheduleRow>(`select ${COLUMNS} from schedules where env_id = $1 and idempotency_key = $2`, [s.envId, s.idempotencyKey]);
  return { schedule: fromRow(existing.rows[0]!), created: false };
}

/** Removes a schedule whose Temporal Schedule could not be created (it never ran). */
export async function deleteUnstartedSchedule(db: Queryable, id: string): Promise<void> {
  await db.query(`delete from schedules s where s.id = $1 and not exists (select 1 from schedule_runs r where r.schedule_id = s.id)`, [id]);
}

export async function findSchedule(db: Queryable, envId: string, id: string): Promise<Schedule | null> {
  return selectOne(db, `select ${COLUMNS} from schedules where env_id = $1 and id = $2`, [envId, id], fromRow);
}

export async function lockSchedule(client: PoolClient, id: string): Promise<Schedule | null> {
  return selectOne(client, `select ${COLUMNS} from schedules where id = $1 for update`, [id], fromRow);
}

/** A wallet's schedules, newest first, keyset on the id. */
export async function listWalletSchedules(db: Queryable, envId: string, walletId: string, limit: number, beforeId: string | null): Promise<Schedule[]> {
  const { rows } = await db.query<ScheduleRow>(
    `select ${COLUMNS} from schedules where env_id = $1 and wallet_id = $2 and ${newestFirstPage({ before: 3, limit: 4 })}`,
    [envId, walletId, beforeId, limit],
  );
  return rows.map(fromRow);
}

export async function setScheduleStatus(
  client: PoolClient,
  id: string,
  status: ScheduleStatus,
  reason: string | null,
  opts: { resetFailures?: boolean } = {},
): Promise<Schedule> {
  const { rows } = await client.query<ScheduleRow>(
    `update schedules set status = $2, status_reason = $3, updated_at = now(),
       consecutive_failures = case when $4 then 0 else consecutive_failures end
     where id = $1 returning ${COLUMNS}`,
    [id, status, reason, opts.resetFailures ?? false],
  );
  return fromRow(rows[0]!);
}

export async function setConsecutiveFailures(client: PoolClient, id: string, count: number): Promise<Schedule> {
  const { rows } = await client.query<ScheduleRow>(
    `update schedules set consecutive_failures = $2, updated_at = now() where id = $1 returning ${COLUMNS}`,
    [id, count],
  );
  return fromRow(rows[0]!);
}

/**
 * Ends, in the caller's SQL transaction, the schedules still active or paused that pay
 * from or to the wallet (it was closed). Returns them for the events and the Temporal side.
 */
export async function endWalletSchedules(client: PoolClient, envId: string, walletId: string, reason: string): Promise<Schedule[]> {
  const { rows } = await client.query<ScheduleRow>(
    `update schedules set status = 'ended', status_reason = $3, updated_at = now()
     where env_id = $1 and (wallet_id = $2 or to_wallet_id = $2) and status <> 'ended'
     returning ${COLUMNS}`,
    [envId, walletId, reason],
  );
  return rows.map(fromRow);
}

export async function findRun(db: Queryable, scheduleId: string, scheduledAt: string): Promise<ScheduleRun | null> {
  return selectOne(db, `select ${RUN_COLUMNS} from schedule_runs where schedule_id = $1 and scheduled_at = $2`, [scheduleId, scheduledAt], runFromRow);
}

/** Inserts the run as `running` (or finished, for a skipped one); an existing run is returned as it is. */
export async function claimRun(
  client: PoolClient,
  run: { scheduleId: string; scheduledAt: string; workflowId: string; outcome?: RunOutcome; code?: string | null; message?: string | null },
): Promise<{ run: ScheduleRun; inserted: boolean }> {
  const outcome = run.outcome ?? 'running';
  const { rows } = await client.query<RunRow>(
    `insert into schedule_runs (schedule_id, scheduled_at, workflow_id, outcome, code, message, finished_at)
     values ($1, $2, $3, $4, $5, $6, case when $4 = 'running' then null else now() end)
     on conflict (schedule_id, scheduled_at) do nothing
     returning ${RUN_COLUMNS}`,
    [run.scheduleId, run.scheduledAt, run.workflowId, outcome, run.code ?? null, run.message ?? null],
  );
  if (rows[0]) return { run: runFromRow(rows[0]), inserted: true };
  return { run: (await findRun(client, run.scheduleId, run.scheduledAt))!, inserted: false };
}

/** Finishes a `running` run; a run already finished is left as it is (null). */
export async function finishRun(
  client: PoolClient,
  run: { scheduleId: string; scheduledAt: string; outcome: RunOutcome; movementId: string | null; movementWorkflowId: string | null; code: string | null; message: string | null },
): Promise<ScheduleRun | null> {
  const { rows } = await client.query<RunRow>(
    `update schedule_runs set outcome = $3, movement_id = $4, movement_workflow_id = $5, code = $6, message = $7, finished_at = now()
     where schedule_id = $1 and scheduled_at = $2 and outcome = 'running'
     returning ${RUN_COLUMNS}`,
    [run.scheduleId, run.scheduledAt, run.outcome, run.movementId, run.movementWorkflowId, run.code, run.message],
  );
  return rows[0] ? runFromRow(rows[0]) : null;
}

export async function listRecentRuns(db: Queryable, scheduleId: string, limit: number): Promise<ScheduleRun[]> {
  const { rows } = await db.query<RunRow>(
    `select ${RUN_COLUMNS} from schedule_runs where schedule_id = $1 order by scheduled_at desc limit $2`,
    [scheduleId, limit],
  );
  return rows.map(runFromRow);
}

/** What a movement workflow left in the ledger's tables, found by its workflow id (a run that lost its child's answer). */
export async function findMovementByWorkflow(
  db: Queryable,
  kind: ScheduleKind,
  workflowId: string,
): Promise<{ movementId: string; failureCode: string | null; pending?: boolean } | null> {
  if (kind === 'payment') {
    const { rows } = await db.query<{ id: string; status: string; failure_code: string | null }>(
      'select id, status, failure_code from orders where workflow_id = $1',
      [workflowId],
    );
    const o = rows[0];
    if (!o) return null;
    // pending: the payment workflow is still charging it (another run for the same time started it).
    return { movementId: o.id, failureCode: o.status === 'failed' ? (o.failure_code ?? 'internal') : null, pending: o.status === 'pending' };
  }
  if (kind === 'transfer') {
    const { rows } = await db.query<{ id: string }>('select id from ledger_transactions where idempotency_id = $1', [`${workflowId}:transfer`]);
    return rows[0] ? { movementId: rows[0].id, failureCode: null } : null;
  }
  const { rows } = await db.query<{ id: string }>('select id from withdrawals where workflow_id = $1', [workflowId]);
  return rows[0] ? { movementId: rows[0].id, failureCode: null } : null;
}

/** Whether the user's Stripe connected account can receive payouts (scheduled withdraws need it). */
export async function payoutsEnabled(db: Queryable, envId: string, userId: string): Promise<boolean> {
  const { rows } = await db.query<{ payouts_enabled: boolean }>('select payouts_enabled from stripe_accounts where env_id = $1 and user_id = $2', [envId, userId]);
  return rows[0]?.payouts_enabled === true;
}

/** The console's list: newest schedules first with their last run. */
export async function listSchedulesForConsole(db: Queryable, envId: string | null, limit: number): Promise<(Schedule & { lastRun: ScheduleRun | null })[]> {
  const { rows } = await db.query<ScheduleRow & { last_run: RunRow | null }>(
    `select ${COLUMNS.split(', ').map((c) => `s.${c}`).join(', ')},
       (select row_to_json(r) from (select ${RUN_COLUMNS} from schedule_runs where schedule_id = s.id order by scheduled_at desc limit 1) r) as last_run
     from schedules s where ($1::bigint is null or s.env_id = $1) order by s.id desc limit $2`,
    [envId, limit],
  );
  return rows.map(({ last_run: lastRun, ...r }) => ({
    ...fromRow(r),
    lastRun: lastRun
      ? runFromRow({ ...lastRun, scheduled_at: new Date(lastRun.scheduled_at), created_at: new Date(lastRun.created_at), finished_at: lastRun.finished_at ? new Date(lastRun.finished_at) : null })
      : null,
  }));
}
