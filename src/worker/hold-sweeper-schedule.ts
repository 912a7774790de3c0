/**
 * The hold sweeper's Temporal Schedule, created by every worker at start
 * (ensureIntervalSchedule: idempotent, the interval follows HOLD_SWEEP_INTERVAL_MS). Visible
 * in the Web UI's Schedules page; an operator can trigger it there (or
 * `temporal schedule trigger --schedule-id paynocchio-hold-sweeper`).
 */
import type { Client } from '@temporalio/client';
import type { Logger } from '../observability/logger';
import { scheduleAction } from '../temporal/start-workflow';
import { ensureIntervalSchedule } from './interval-schedule';

export const HOLD_SWEEPER_SCHEDULE_ID = 'paynocchio-hold-sweeper';

export async function ensureHoldSweeperSchedule(
  client: Client,
  opts: { taskQueue: string; searchAttributes: boolean; intervalMs: number; logger?: Logger },
): Promise<void> {
  await ensureIntervalSchedule(
    client,
    {
      scheduleId: HOLD_SWEEPER_SCHEDULE_ID,
      name: 'hold sweeper',
      everyMs: opts.intervalMs,
      minEverySeconds: 1,
      action: scheduleAction(opts, 'holdSweeper', { args: [{}], subject: {}, executionTimeout: '30m' }),
      purpose: 'releases withdrawal holds whose workflow closed without completing (README, Runbook)',
    },
    opts.logger,
  );
}
