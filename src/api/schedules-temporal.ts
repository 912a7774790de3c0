/**
 * The API's side of merchant schedules in Temporal: each schedule row is one Temporal
 * Schedule (`paynocchio-schedule-<id>`, listed on the Web UI's Schedules page and by
 * `temporal schedule list`, with the environment, wallet, user and kind as search
 * attributes) whose action starts `scheduleRun` (src/workflows/schedule-run.ts).
 *
 * Policies: overlap CANCEL_OTHER and a catch-up window (SCHEDULE_CATCHUP_WINDOW_MS):
 * after an outage, of the runs missed within the window only the latest is started (the
 * scheduler keeps the last of the buffered starts), older ones are skipped; a run that a
 * later one supersedes before it moved money ends `skipped` (`superseded`).
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleSpec } from '@temporalio/client';
import { DomainError } from '../domain/errors';
import { scheduleRunWorkflowPrefix, type Schedule, type ScheduleRunInput } from '../domain/schedules';
import { scheduleAction } from '../temporal/start-workflow';
import { workflowTags } from '../temporal/workflow-tags';
import type { TemporalDeps } from './temporal';

export interface ScheduleDeps {
  /** SCHEDULE_MIN_INTERVAL_MS: the shortest `every` (one minute). */
  minIntervalMs?: number;
  /** SCHEDULE_CATCHUP_WINDOW_MS: how old the latest missed run may be to still run after an outage (7 days). */
  catchupWindowMs?: number;
}

export const SCHEDULE_DEFAULTS = { minIntervalMs: 60_000, catchupWindowMs: 7 * 24 * 3600_000 };

export function scheduleSpec(s: Schedule): ScheduleSpec {
  const bounds = {
    ...(s.startAt ? { startAt: new Date(s.startAt) } : {}),
    ...(s.endAt ? { endAt: new Date(s.endAt) } : {}),
    ...(s.timezone ? { timezone: s.timezone } : {}),
  };
  if (s.cron) return { cronExpressions: [s.cron], ...bounds };
  // An interval counts from start_at (else from the schedule's creation), not from the epoch.
  const everyMs = s.everySeconds! * 1000;
  const from = new Date(s.startAt ?? s.createdAt).getTime();
  return { intervals: [{ every: everyMs, offset: ((from % everyMs) + everyMs) % everyMs }], ...bounds };
}

/** gRPC status INVALID_ARGUMENT, on the error or (the client's ServiceError) its cause. */
const INVALID_ARGUMENT = 3;

/** The client turns the server's INVALID_ARGUMENT into a TypeError with the server's words ("Minute is not in range [0-59]"). */
function isInvalidArgument(err: unknown): err is Error {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  return err instanceof TypeError || e?.code === INVALID_ARGUMENT || e?.cause?.code === INVALID_ARGUMENT;
}

/**
 * Creates the schedule's Temporal Schedule (a repeat for the same row is fine). Temporal
 * judges the cron expression and the time zone: what it refuses is a 422 naming the field.
 */
export async function createTemporalSchedule(temporal: TemporalDeps, s: Schedule, deps: ScheduleDeps): Promise<void> {
  const args: [ScheduleRunInput] = [{ scheduleId: s.id, envId: s.envId, searchAttributes: temporal.searchAttributes }];
  // The Schedule and each run carry what the schedule moves as their kind.
  const subject = { envId: s.envId, walletId: s.walletId, userId: s.userId };
  const memo = { scheduleId: s.id };
  try {
    await temporal.client.schedule.create({
      scheduleId: s.temporalScheduleId,
      spec: scheduleSpec(s),
      action: scheduleAction(temporal, 'scheduleRun', {
        workflowId: scheduleRunWorkflowPrefix(s.id),
        args,
        subject,
        memo,
        kind: s.kind,
        // A run is a few local activities and one child; a day bounds one that cannot finish.
        executionTimeout: '1d',
      }),
      policies: {
        overlap: ScheduleOverlapPolicy.CANCEL_OTHER,
        catchupWindow: deps.catchupWindowMs ?? SCHEDULE_DEFAULTS.catchupWindowMs,
        pauseOnFailure: false,
      },
      state: { note: `Paynocchio schedule ${s.id}: ${s.kind} of ${s.amount} minor units ${s.currency} from wallet ${s.walletId}` },
      ...workflowTags(s.kind, subject, { searchAttributes: temporal.searchAttributes, memo }),
    });
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return;
    if (isInvalidArgument(err)) {
      const field = s.cron ? 'cron' : 'every';
      const message = err.message.replace(/^\d+ INVALID_ARGUMENT: /, '');
      const onTimezone = /time ?zone|location/i.test(message) && s.timezone;
      throw new DomainError('invalid_request', `${onTimezone ? 'timezone' : field}: Temporal refused the schedule: ${message}`, {
        field: onTimezone ? 'timezone' : field,
      });
    }
    throw err;
  }
}

/** The next time the Temporal Schedule will run, or null (paused, past its end, never matching). */
export async function nextRunAt(temporal: TemporalDeps, s: Schedule): Promise<string | null> {
  if (s.status !== 'active') return null;
  try {
    const d = await temporal.client.schedule.getHandle(s.temporalScheduleId).describe();
    if (d.state.paused) return null;
    return d.info.nextActionTimes[0]?.toISOString() ?? null;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  }
}

/** Pauses the Temporal Schedule; one that is gone runs nothing either. */
export async function pauseTemporalSchedule(temporal: TemporalDeps, s: Schedule, note: string): Promise<void> {
  try {
    await temporal.client.schedule.getHandle(s.temporalScheduleId).pause(note);
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
}

/** Unpauses the Temporal Schedule, or creates it again when it is gone (a run deleted it, an operator did). */
export async function resumeTemporalSchedule(temporal: TemporalDeps, s: Schedule, note: string, deps: ScheduleDeps): Promise<void> {
  try {
    await temporal.client.schedule.getHandle(s.temporalScheduleId).unpause(note);
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    await createTemporalSchedule(temporal, s, deps);
  }
}

/** Deletes the Temporal Schedule; one already gone is fine. */
export async function deleteTemporalSchedule(temporal: TemporalDeps, temporalScheduleId: string): Promise<void> {
  try {
    await temporal.client.schedule.getHandle(temporalScheduleId).delete();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
}
