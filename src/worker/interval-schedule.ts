/**
 * A Temporal Schedule that starts one workflow at a fixed interval, created by every worker
 * at start (the hold sweeper's, hold-sweeper-schedule.ts; the reconciliation's,
 * reconcile-schedule.ts). Idempotent, since every worker runs it: "already exists" is fine,
 * and an existing schedule whose interval differs from the configuration gets the new
 * interval (the rest of it is left as it is, paused state included).
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { Logger } from '../observability/logger';

export interface IntervalSchedule {
  scheduleId: string;
  /** What the logs call it ("<name> schedule created"). */
  name: string;
  /** The configured interval; Temporal keeps whole seconds, so it is rounded to them. */
  everyMs: number;
  /** The shortest interval allowed, in seconds. */
  minEverySeconds: number;
  action: ScheduleOptions['action'];
  /** Shown in the Web UI's Schedules page (the schedule's memo). */
  purpose: string;
}

export async function ensureIntervalSchedule(client: Client, schedule: IntervalSchedule, logger?: Logger): Promise<void> {
  const everyMs = Math.max(schedule.minEverySeconds, Math.round(schedule.everyMs / 1000)) * 1000;
  const spec = { intervals: [{ every: everyMs }] };
  const logged = { schedule_id: schedule.scheduleId, every_ms: everyMs };
  try {
    await client.schedule.create({
      scheduleId: schedule.scheduleId,
      spec,
      action: schedule.action,
      // One run at a time; a run still going when the next is due makes it skip.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m' },
      memo: { purpose: schedule.purpose },
    });
    logger?.info(logged, `${schedule.name} schedule created`);
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    const handle = client.schedule.getHandle(schedule.scheduleId);
    const current = await handle.describe();
    const every = current.spec.intervals?.[0]?.every;
    if (typeof every === 'number' && every === everyMs) return;
    await handle.update((previous) => ({ ...previous, spec }));
    logger?.info(logged, `${schedule.name} schedule interval updated`);
  }
}
