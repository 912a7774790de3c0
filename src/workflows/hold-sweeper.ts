/**
 * holdSweeper: run by the Temporal Schedule `paynocchio-hold-sweeper` (created by the
 * worker at start, visible in the Web UI's Schedules page), or started by hand. Finds the
 * withdrawals whose hold is still in place while their workflow has closed without
 * completing (terminated, timed out, failed, history overflow) and ends each: released
 * when no money left, `needs_attention` when it may have (src/activities/hold-sweeper.ts).
 * Then the payment authorizations past their expiry whose workflow is not running (a
 * terminated payment workflow never runs its expiry timer): each is voided as its timer
 * would have (reason `expired`). That second pass is behind patched(): sweeps recorded
 * before it replay without it.
 */
import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const sweeper = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  // A run that cannot finish gives up; the next scheduled run starts over.
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

/** patched() ids: each guards commands older sweeps did not record. */
export const HOLD_SWEEPER_PATCHES = {
  /** The pass over expired payment authorizations whose workflow is gone. */
  authorizations: 'hold-sweeper-expired-authorizations',
} as const;

export interface HoldSweepResult {
  checked: number;
  released: string[];
  needsAttention: string[];
  /** Orders (payment authorizations) voided as expired because their workflow was gone. */
  authorizationsReleased: string[];
}

export async function holdSweeper(input: { pageSize?: number } = {}): Promise<HoldSweepResult> {
  const limit = input.pageSize ?? 200;
  const result: HoldSweepResult = { checked: 0, released: [], needsAttention: [], authorizationsReleased: [] };
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

  if (patched(HOLD_SWEEPER_PATCHES.authorizations)) {
    afterId = null;
    do {
      const page: Awaited<ReturnType<Activities['listExpiredAuthorizations']>> = await sweeper.listExpiredAuthorizations({ afterId, limit });
      for (const authorization of page.expired) {
        result.checked++;
        if ((await sweeper.releaseExpiredAuthorization(authorization)) === 'released') result.authorizationsReleased.push(authorization.orderId);
      }
      afterId = page.nextAfterId;
    } while (afterId !== null);
  }
  return result;
}
