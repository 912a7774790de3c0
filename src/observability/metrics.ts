/**
 * Prometheus metrics (prom-client), one registry per process. The API and the worker
 * each serve it at /metrics; the worker adds the Temporal runtime's own metrics
 * (see src/worker/metrics-server.ts). Label values are bounded sets (route patterns,
 * workflow types, outcomes): never ids, or the series count would grow without end.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'paynocchio_process_' });

export const httpRequestDuration = new Histogram({
  name: 'paynocchio_http_request_duration_seconds',
  help: 'HTTP requests by method, route pattern and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const workflowStarts = new Counter({
  name: 'paynocchio_workflow_starts_total',
  help: 'Workflows started (or attached to) by the API, by workflow type',
  labelNames: ['type'] as const,
  registers: [registry],
});

export const workflowOutcomes = new Counter({
  name: 'paynocchio_workflow_outcomes_total',
  help: 'Results the API saw for the workflows it waited on: completed, failed (with the refusal code), timeout, error',
  labelNames: ['type', 'outcome'] as const,
  registers: [registry],
});

export const ledgerPostings = new Counter({
  name: 'paynocchio_ledger_postings_total',
  help: 'Ledger postings written, by transaction type (replays post nothing and are not counted)',
  labelNames: ['type'] as const,
  registers: [registry],
});

export const ledgerTransactions = new Counter({
  name: 'paynocchio_ledger_transactions_total',
  help: 'Ledger transactions, by type and whether the idempotency id had already posted (replayed)',
  labelNames: ['type', 'replayed'] as const,
  registers: [registry],
});

export const activityExecutions = new Histogram({
  name: 'paynocchio_activity_duration_seconds',
  help: 'Activity executions in this worker, by activity type and outcome',
  labelNames: ['activity', 'outcome'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 15],
  registers: [registry],
});

export const stripeCalls = new Counter({
  name: 'paynocchio_stripe_calls_total',
  help: 'Calls to the Stripe API, by operation and outcome (ok, or the Stripe error type)',
  labelNames: ['operation', 'outcome'] as const,
  registers: [registry],
});

export const webhookDeliveries = new Counter({
  name: 'paynocchio_webhook_deliveries_total',
  help: 'Webhook delivery attempts to merchants, by event type and outcome (delivered, failed, gave_up)',
  labelNames: ['event', 'outcome'] as const,
  registers: [registry],
});

/** Wraps a Stripe call so every call is counted by outcome; Stripe code should call through this. */
export async function observeStripeCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    const result = await call();
    stripeCalls.inc({ operation, outcome: 'ok' });
    return result;
  } catch (err) {
    const type = (err as { type?: unknown })?.type;
    stripeCalls.inc({ operation, outcome: typeof type === 'string' ? type : 'error' });
    throw err;
  }
}

/**
 * Withdrawals handed to an operator (status `needs_attention`), by reason: payout_timed_out,
 * reversal_refused, workflow_closed (the hold sweeper), payout_failed_after_paid, payout_paid_after_release. Incremented
 * where the status changes (worker or API); alert on any increase.
 */
export const cardTopupsNeedingAttention = new Counter({
  name: 'paynocchio_card_topups_needs_attention_total',
  help: 'Card top-ups marked needs_attention (a payment Stripe reports succeeded was not credited: an operator decides), by reason',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const withdrawalsNeedingAttention = new Counter({
  name: 'paynocchio_withdrawals_needs_attention_total',
  help: 'Withdrawals marked needs_attention (money may have left: an operator decides), by reason',
  labelNames: ['reason'] as const,
  registers: [registry],
});

/** Holds the sweeper found stranded (workflow closed, not completed), by what it did: released or needs_attention. */
export const strandedHolds = new Counter({
  name: 'paynocchio_stranded_holds_total',
  help: 'Withdrawal holds whose workflow closed without ending them, by what the sweeper did (released, needs_attention)',
  labelNames: ['action'] as const,
  registers: [registry],
});

/**
 * Differences reconciliation found between the ledger and Stripe, by kind (missing_in_ledger,
 * missing_at_stripe, amount_differs, status_differs). Counted once when a mismatch opens (or
 * reopens after it was resolved), never again while it stays open. Alert on any increase.
 */
export const reconciliationMismatches = new Counter({
  name: 'paynocchio_reconciliation_mismatches_total',
  help: 'Reconciliation mismatches opened between the ledger and Stripe, by kind',
  labelNames: ['kind'] as const,
  registers: [registry],
});
