/**
 * Prometheus metrics (prom-client), one registry per process. The API and the worker
 * each serve it at /metrics; the worker adds the Temporal runtime's own metrics
 * (see src/worker/metrics-server.ts). Label values are bounded sets (route patterns,
 * workflow types, outcomes): never ids, or the series count would grow without end.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'paynocchio_process_' });

/** A counter in this process's registry. */
function counter<L extends string>(name: string, labelNames: readonly L[], help: string): Counter<L> {
  return new Counter({ name, help, labelNames, registers: [registry] });
}

/** A histogram in this process's registry, with buckets (seconds) fitted to what it times. */
function histogram<L extends string>(name: string, labelNames: readonly L[], buckets: number[], help: string): Histogram<L> {
  return new Histogram({ name, help, labelNames, buckets, registers: [registry] });
}

export const httpRequestDuration = histogram('paynocchio_http_request_duration_seconds', ['method', 'route', 'status'], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  'HTTP requests by method, route pattern and status');

export const workflowStarts = counter('paynocchio_workflow_starts_total', ['type'],
  'Workflows started (or attached to) by the API, by workflow type');

export const workflowOutcomes = counter('paynocchio_workflow_outcomes_total', ['type', 'outcome'],
  'Results the API saw for the workflows it waited on: completed, failed (with the refusal code), timeout, error');

export const paymentBatchSizes = histogram('paynocchio_payment_batch_size', [], [2, 4, 8, 16, 32, 64],
  'Payments per paymentBatch workflow the API started (PAYMENT_BATCH); a payment run alone is not counted');

export const ledgerPostings = counter('paynocchio_ledger_postings_total', ['type'],
  'Ledger postings written, by transaction type (replays post nothing and are not counted)');

export const ledgerTransactions = counter('paynocchio_ledger_transactions_total', ['type', 'replayed'],
  'Ledger transactions, by type and whether the idempotency id had already posted (replayed)');

export const activityExecutions = histogram('paynocchio_activity_duration_seconds', ['activity', 'outcome'], [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 15],
  'Activity executions in this worker, by activity type and outcome');

export const stripeCalls = counter('paynocchio_stripe_calls_total', ['operation', 'outcome'],
  'Calls to the Stripe API, by operation and outcome (ok, or the Stripe error type)');

/**
 * Counted in the worker's delivery activity (src/activities/webhooks.ts): each attempt as
 * delivered (2xx), failed (another status or a network error: retried) or refused (the
 * address is not allowed: nothing sent, the delivery ends failed), and each delivery whose
 * retry budget ran out once as gave_up.
 */
export const webhookDeliveries = counter('paynocchio_webhook_deliveries_total', ['event', 'outcome'],
  'Webhook delivery attempts to merchants by event type and outcome (delivered, failed, refused), and deliveries given up after retries (gave_up)');

/**
 * Wraps a Stripe call so every call is counted by operation and outcome: every Stripe call
 * goes through it (src/activities/stripe.ts and reconcile.ts in the worker, the Connect
 * return URL in the API), so the counter lives in whichever process called.
 */
export async function observeStripeCall<T>(operation: string, call: () => PromiseLike<T>): Promise<T> {
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

export const cardTopupsNeedingAttention = counter('paynocchio_card_topups_needs_attention_total', ['reason'],
  'Card top-ups marked needs_attention (a payment Stripe reports succeeded was not credited: an operator decides), by reason');

/**
 * Withdrawals handed to an operator (status `needs_attention`), by reason: payout_timed_out,
 * reversal_refused, workflow_closed (the hold sweeper), payout_failed_after_paid, payout_paid_after_release. Incremented
 * where the status changes (worker or API); alert on any increase.
 */
export const withdrawalsNeedingAttention = counter('paynocchio_withdrawals_needs_attention_total', ['reason'],
  'Withdrawals marked needs_attention (money may have left: an operator decides), by reason');

/** Holds the sweeper found stranded (workflow closed, not completed), by what it did: released or needs_attention. */
export const strandedHolds = counter('paynocchio_stranded_holds_total', ['action'],
  'Holds whose workflow closed without ending them, by what the sweeper did (withdrawals: released, needs_attention; payment authorizations past their expiry: authorization_released)');

/**
 * Differences reconciliation found between the ledger and Stripe, by kind (missing_in_ledger,
 * missing_at_stripe, amount_differs, status_differs). Counted once when a mismatch opens (or
 * reopens after it was resolved), never again while it stays open. Alert on any increase.
 */
export const reconciliationMismatches = counter('paynocchio_reconciliation_mismatches_total', ['kind'],
  'Reconciliation mismatches opened between the ledger and Stripe, by kind');
