/**
 * holdSweeper: run by the Temporal Schedule `paynocchio-hold-sweeper` (created by the
 * worker at start, visible in the Web UI's Schedules page), or started by hand. Finds the
 * withdrawals whose hold is still in place while their workflow has closed without
 * completing (terminated, timed out, failed, history overflow) and ends each: released
 * when no money left, `needs_attention` when it may have (src/activities/hold-sweeper.ts).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const sweeper = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  // A run that cannot finish gives up; the next scheduled run starts over.
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

export interface HoldSweepResult {
  checked: number;
  released: string[];
  needsAttention: string[];
}

export async function holdSweeper(input: { pageSize?: number } = {}): Promise<HoldSweepResult> {
  const limit = input.pageSize ?? 200;
  const result: HoldSweepResult = { checked: 0, released: [], needsAttention: [] };
  let afterId: string | null = null;
  do {
    const page: Awaited<ReturnType<Activities['listStrandedHolds']>> = await sweeper.listStrandedHolds({ afterId, limit });
    for (const hold of page.stranded) {
      result.checked++;
      const done = await sweeper.sweepStrandedHold(hold);
      if (done === 'released') result.released.push(hold.withdrawalId);
      else if (done === 'needs_attention') result.needsAttention.push(hold.withdrawalId);
    }
    afterId = page.nextAfterId;
  } while (afterId !== null);
  return result;
}
