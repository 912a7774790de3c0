/**
 * The reconciliation's Temporal Schedule (README, Reconciliation), created by every worker at
 * start like the hold sweeper's (ensureIntervalSchedule: idempotent, the interval follows
 * RECONCILE_EVERY, at least a minute). An operator can trigger it from the Web UI's
 * Schedules page or with `temporal schedule trigger --schedule-id paynocchio-reconcile`.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from '../observability/logger';
import { scheduleAction } from '../temporal/start-workflow';
import { ensureIntervalSchedule } from './interval-schedule';

export const RECONCILE_SCHEDULE_ID = 'paynocchio-reconcile';

export async function ensureReconcileSchedule(client: Client, opts: { taskQueue: string; searchAttributes: boolean; everyMs: number; logger?: Logger }): Promise<void> {
  await ensureIntervalSchedule(
    client,
    {
      scheduleId: RECONCILE_SCHEDULE_ID,
      name: 'reconciliation',
      everyMs: opts.everyMs,
      minEverySeconds: 60,
      // The execution timeout covers the whole chain of continue-as-new runs; each activity has its own budget.
      action: scheduleAction(opts, 'reconcile', { args: [{}], subject: {}, executionTimeout: '6h' }),
      purpose: 'matches Stripe transfers, reversals and payouts with the ledger (README, Reconciliation)',
    },
    opts.logger,
  );
}
