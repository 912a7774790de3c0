/**
 * The schedule-run workflow's activities (issue 13, section 1). The run's row in
 * `schedule_runs` (schedule, scheduled time) is claimed before the movement and finished
 * after it, each in one SQL transaction with the schedule row locked, so the refusal
 * count, the merchant events and the self-pause cannot be written twice for one run.
 */
import { Context } from '@temporalio/activity';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { withTransaction, type Pool } from '../db/pool';
import { recordEvent } from '../db/queries/outbox';
import {
  claimRun,
  findMovementByWorkflow,
  findRun,
  finishRun,
  lockSchedule,
  payoutsEnabled,
  setConsecutiveFailures,
  setScheduleStatus,
} from '../db/queries/schedules';
import type { RunOutcome, Schedule, ScheduleKind, ScheduleRun } from '../domain/schedules';
import { presentSchedule, presentScheduleRun } from '../wire/present';

export interface ScheduleActivityDeps {
  pool: Pool;
  /** SCHEDULE_PAUSE_AFTER_FAILURES: runs refused or failed in a row before the schedule pauses itself (default 3). */
  pauseAfterFailures?: number;
  /** Waits passed to scheduled withdraws (the WITHDRAW_* config), as for POST /wallet/withdraw. */
  withdrawWaits?: { onboardingTimeoutMs?: number; payoutPollIntervalMs?: number; payoutTimeoutMs?: number; maxLinkRefreshes?: number };
  /** How to reach Temporal; default: the worker's client from the activity context. */
  temporalClient?: () => Client;
}

export type BeginRunAnswer =
  | { action: 'run'; schedule: Schedule; withdrawWaits: ScheduleActivityDeps['withdrawWaits'] }
  /** The run was recorded already (a re-run for the same scheduled time): nothing more to do. */
  | { action: 'done'; run: ScheduleRun }
  /** The schedule is paused or ended (its Temporal Schedule should be too), or has no row. */
  | { action: 'inactive'; status: 'paused' | 'ended' | 'missing'; temporalScheduleId: string | null };

export interface FinishRunInput {
  scheduleId: string;
  scheduledAt: string;
  outcome: Exclude<RunOutcome, 'running'>;
  movementId: string | null;
  movementWorkflowId: string | null;
  code: string | null;
  message: string | null;
}

export function createScheduleActivities(deps: ScheduleActivityDeps) {
  const { pool } = deps;
  const pauseAfter = deps.pauseAfterFailures ?? 3;
  const client = deps.temporalClient ?? (() => Context.current().client);
  return {
    /** Claims the run (schedule, scheduled time), or says why it must not move money. */
    async beginScheduleRun(input: { scheduleId: string; scheduledAt: string; workflowId: string }): Promise<BeginRunAnswer> {
      return withTransaction(pool, async (db) => {
        const schedule = await lockSchedule(db, input.scheduleId);
        if (!schedule) return { action: 'inactive', status: 'missing', temporalScheduleId: null };
        const existing = await findRun(db, input.scheduleId, input.scheduledAt);
        if (existing && existing.outcome !== 'running') return { action: 'done', run: existing };
        if (schedule.status !== 'active') {
          await claimRun(db, { ...input, outcome: 'skipped', code: `schedule_${schedule.status}`, message: `the schedule is ${schedule.status}` });
          return { action: 'inactive', status: schedule.status, temporalScheduleId: schedule.temporalScheduleId };
        }
        // A `running` row left by an earlier attempt at this run is taken over: the movement's
        // workflow id is the same, so it cannot move the money twice.
        await claimRun(db, input);
        return { action: 'run', schedule, withdrawWaits: deps.withdrawWaits ?? {} };
      });
    },

    /**
     * Records how the run ended. A refused or failed run counts toward the self-pause and
     * is sent as `schedule.run_failed`; the Nth in a row pauses the schedule
     * (`schedule.paused`). A run already finished is answered as it is.
     */
    async finishScheduleRun(input: FinishRunInput): Promise<{ paused: boolean; temporalScheduleId: string | null }> {
      return withTransaction(pool, async (db) => {
        const schedule = await lockSchedule(db, input.scheduleId);
        if (!schedule) return { paused: false, temporalScheduleId: null };
        const run = await finishRun(db, input);
        if (!run || input.outcome === 'skipped') return { paused: false, temporalScheduleId: schedule.temporalScheduleId };
        if (input.outcome === 'succeeded') {
          if (schedule.consecutiveFailures !== 0) await setConsecutiveFailures(db, schedule.id, 0);
          return { paused: false, temporalScheduleId: schedule.temporalScheduleId };
        }
        let after = await setConsecutiveFailures(db, schedule.id, schedule.consecutiveFailures + 1);
        await recordEvent(db, schedule.envId, 'schedule.run_failed', { schedule: presentSchedule(after), run: presentScheduleRun(run) });
        const pause = after.status === 'active' && after.consecutiveFailures >= pauseAfter;
        if (pause) {
          after = await setScheduleStatus(db, schedule.id, 'paused', 'refused_runs');
          await recordEvent(db, schedule.envId, 'schedule.paused', { schedule: presentSchedule(after), reason: 'refused_runs' });
        }
        return { paused: pause, temporalScheduleId: schedule.temporalScheduleId };
      });
    },

    /** A scheduled withdraw runs only for a user whose Stripe account can receive payouts (README, Schedules). */
    async scheduledWithdrawReady(input: { envId: string; userId: string }): Promise<boolean> {
      return payoutsEnabled(pool, input.envId, input.userId);
    },

    /** What a movement workflow left behind, by its workflow id. */
    async findScheduledMovement(input: { kind: ScheduleKind; workflowId: string }): Promise<{ movementId: string; failureCode: string | null; pending?: boolean } | null> {
      return findMovementByWorkflow(pool, input.kind, input.workflowId);
    },

    /**
     * Brings the Temporal Schedule in line with the row: pause (the schedule paused
     * itself) or delete (the row is ended or gone). A schedule already gone is fine.
     */
    async controlTemporalSchedule(input: { temporalScheduleId: string; action: 'pause' | 'delete'; note: string }): Promise<void> {
      const handle = client().schedule.getHandle(input.temporalScheduleId);
      try {
        if (input.action === 'pause') await handle.pause(input.note);
        else await handle.delete();
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      }
    },
  };
}
