/**
 * Reconciliation with Stripe: the shapes src/workflows/reconcile.ts and its activities
 * (src/activities/reconcile.ts) exchange. Plain JSON, no I/O (the workflow imports it).
 */

/**
 * Stripe's lists a run walks, in order; 'ledger' (our side: recorded ids no list showed) is
 * last. PaymentIntents join before 'ledger' when card top-ups exist (src/activities/reconcile.ts).
 */
export const RECONCILE_LISTS = ['transfers', 'payouts', 'ledger'] as const;
export type ReconcileList = (typeof RECONCILE_LISTS)[number];

export interface ReconcileWindow {
  runId: string;
  since: string;
  until: string;
  /** Scope: one environment, or null for all. */
  envId: string | null;
}

export interface PageCounts {
  examined: number;
  matched: number;
  opened: number;
  resolved: number;
}

export interface ReconcilePageResult extends PageCounts {
  /** Where the next page of this list starts; null when the list is done. */
  cursor: string | null;
}

export interface ReconcileSummary extends ReconcileWindow, PageCounts {
  /** Mismatches still open in the run's scope after it (older ones included). */
  openInScope: number;
  pages: number;
}

