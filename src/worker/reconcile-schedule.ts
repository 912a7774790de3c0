/**
 * The reconciliation's Temporal Schedule (README, Reconciliation), created by every worker at
 * start like the hold sweeper's (src/worker/hold-sweeper-schedule.ts): "already exists" is
 * fine; an existing schedule whose interval differs from RECONCILE_EVERY is updated. An
 * operator can trigger it from the Web UI's Schedules page or with
 * `temporal schedule trigger --schedule-id paynocchio-reconcile`.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Logger } from '../observability/logger';
import { scheduleAction } from '../temporal/start-workflow';

export const RECONCILE_SCHEDULE_ID = 'paynocchio-reconcile';

export async function ensureReconcileSchedule(client: Client, opts: { taskQueue: string; searchAttributes: boolean; everyMs: number; logger?: Logger }): Promise<void> {
  const everyMs = Math.max(60, Math.round(opts.everyMs / 1000)) * 1000; // whole seconds, at least a minute
  const spec = { intervals: [{ every: everyMs }] };
  try {
    await client.schedule.create({
      scheduleId: RECONCILE_SCHEDULE_ID,
      spec,
      action: scheduleAction(opts, 'reconcile', {
        args: [{}],
        subject: {},
        // Covers the whole chain of continue-as-new runs; each activity has its own budget.
        executionTimeout: '6h',
      }),
      // One reconciliation at a time; one still going when the next is due makes it skip.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m' },
      memo: { purpose: 'matches Stripe transfers, reversals and payouts with the ledger (README, Reconciliation)' },
    });
    opts.logger?.info({ schedule_id: RECONCILE_SCHEDULE_ID, every_ms: everyMs }, 'reconciliation schedule created');
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    const handle = client.schedule.getHandle(RECONCILE_SCHEDULE_ID);
    const current = await handle.describe();
    const every = current.spec.intervals?.[0]?.every;
    if (typeof every === 'number' && every === everyMs) return;
    await handle.update((previous) => ({ ...previous, spec }));
    opts.logger?.info({ schedule_id: RECONCILE_SCHEDULE_ID, every_ms: everyMs }, 'reconciliation schedule interval updated');
  }
}
