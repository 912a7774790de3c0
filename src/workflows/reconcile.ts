/**
 * reconcile: matches Stripe's transfers (with their reversals) and payouts created in a
 * window with the ledger's withdrawals, and the ledger's recorded Stripe ids with Stripe
 * (src/activities/reconcile.ts). Started by the Temporal Schedule `paynocchio-reconcile`
 * (every RECONCILE_EVERY; src/worker/reconcile-schedule.ts) or by
 * `npm run admin -- reconcile [--since …]`.
 *
 * Resumable: the state (the run's window, the list being walked, its cursor, the counts)
 * lives in the workflow; each page activity gets the cursor and answers the next one. A
 * worker killed halfway resumes from the last completed page (the history has it); after
 * `pagesPerRun` pages (or when Temporal suggests it) the workflow continues-as-new with
 * the state as input, so its history stays bounded however many objects Stripe lists.
 * Every page is idempotent (mismatches are unique per kind and Stripe object), so a page
 * done twice finds nothing twice.
 */
import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { DATABASE_ERROR } from '../domain/errors';
import { RECONCILE_LISTS, type PageCounts, type ReconcileList, type ReconcileSummary, type ReconcileWindow } from '../domain/reconciliation';

// Bounded retry budgets: Stripe or Postgres down for longer than this fails the run; the
// next scheduled run starts over (mismatches already stored stay, none is duplicated).
const recon = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  scheduleToCloseTimeout: '30m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: ['provider_error', DATABASE_ERROR] },
});

export interface ReconcileState {
  run: ReconcileWindow;
  /** The list being walked (index into RECONCILE_LISTS) and where its next page starts. */
  listIndex: number;
  cursor: string | null;
  counts: PageCounts;
  pages: number;
}

export interface ReconcileInput {
  /** Window start (ISO time); default: RECONCILE_LOOKBACK_MS before `until`. */
  since?: string | null;
  /** Window end (ISO time); default: when the run begins. */
  until?: string | null;
  /** Reconcile one environment only (admin --env); default all. */
  envId?: string | null;
  /** Objects per Stripe page (1..100, default 100). */
  pageSize?: number;
  /** Pages per workflow run before continue-as-new (default 50). */
  pagesPerRun?: number;
  /** Carried across continue-as-new; absent on the first run. */
  state?: ReconcileState;
}

export async function reconcile(input: ReconcileInput = {}): Promise<ReconcileSummary> {
  const pageSize = input.pageSize ?? 100;
  const pagesPerRun = Math.max(1, input.pagesPerRun ?? 50);
  const state: ReconcileState = input.state ?? {
    run: await recon.beginReconciliation({ key: workflowInfo().workflowId, since: input.since ?? null, until: input.until ?? null, envId: input.envId ?? null }),
    listIndex: 0,
    cursor: null,
    counts: { examined: 0, matched: 0, opened: 0, resolved: 0 },
    pages: 0,
  };
  let pagesHere = 0;
  while (state.listIndex < RECONCILE_LISTS.length) {
    if (pagesHere >= pagesPerRun || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof reconcile>({ ...input, state });
    }
    const list: ReconcileList = RECONCILE_LISTS[state.listIndex]!;
    const page = await recon.reconcilePage({ run: state.run, list, cursor: state.cursor, limit: pageSize });
    pagesHere++;
    state.pages++;
    state.counts.examined += page.examined;
    state.counts.matched += page.matched;
    state.counts.opened += page.opened;
    state.counts.resolved += page.resolved;
    if (page.cursor === null) {
      state.listIndex++;
      state.cursor = null;
    } else state.cursor = page.cursor;
  }
  return recon.finishReconciliation({ run: state.run, counts: state.counts, pages: state.pages });
}
