/**
 * The hold sweeper's Temporal Schedule, created by every worker at start (idempotently:
 * "already exists" is fine; an existing schedule whose interval differs from the
 * configuration is updated). Visible in the Web UI's Schedules page; an operator can
 * trigger it there (or `temporal schedule trigger --schedule-id paynocchio-hold-sweeper`).
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Logger } from '../observability/logger';
import { scheduleAction } from '../temporal/start-workflow';

export const HOLD_SWEEPER_SCHEDULE_ID = 'paynocchio-hold-sweeper';

export async function ensureHoldSweeperSchedule(
  client: Client,
  opts: { taskQueue: string; searchAttributes: boolean; intervalMs: number; logger?: Logger },
): Promise<void> {
  const everyMs = Math.max(1, Math.round(opts.intervalMs / 1000)) * 1000; // Temporal keeps whole seconds
  const spec = { intervals: [{ every: everyMs }] };
  try {
    await client.schedule.create({
      scheduleId: HOLD_SWEEPER_SCHEDULE_ID,
      spec,
      action: scheduleAction(opts, 'holdSweeper', {
        args: [{}],
        subject: {},
        executionTimeout: '30m',
      }),
      // One sweep at a time; a run still going when the next is due makes it skip.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m' },
      memo: { purpose: 'releases withdrawal holds whose workflow closed without completing (README, Runbook)' },
    });
    opts.logger?.info({ schedule_id: HOLD_SWEEPER_SCHEDULE_ID, every_ms: everyMs }, 'hold sweeper schedule created');
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    const handle = client.schedule.getHandle(HOLD_SWEEPER_SCHEDULE_ID);
    const current = await handle.describe();
    const every = current.spec.intervals?.[0]?.every;
    if (typeof every === 'number' && every === everyMs) return;
    await handle.update((previous) => ({ ...previous, spec }));
    opts.logger?.info({ schedule_id: HOLD_SWEEPER_SCHEDULE_ID, every_ms: everyMs }, 'hold sweeper schedule interval updated');
  }
}
