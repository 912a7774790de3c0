/**
 * Activity options shared by the workflows, one proxy per kind of step:
 * `database` — each step is one Postgres transaction (a posting, or an order, a
 * withdrawal's timeline step, a schedule run's row) run as a *local* activity: it
 * executes in the worker that holds the workflow task, so a whole topup or payment is
 * one workflow task and one round trip to the server; `stripeSetup` and `stripeMoney`
 * — Stripe calls, as ordinary activities.
 */
import { proxyActivities, proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { BUSINESS_ERROR_CODES, DATABASE_ERROR } from '../domain/errors';

/** How a kind of step retries: backoff doubling from `initialInterval` up to `maximumInterval`; `final` errors are never retried. */
interface RetryShape {
  initialInterval: string;
  maximumInterval: string;
  final: string[];
}

/** Ledger steps: business refusals and data/integrity errors (src/activities/failures.ts) are final. */
const LEDGER_RETRY: RetryShape = { initialInterval: '100ms', maximumInterval: '5s', final: [...BUSINESS_ERROR_CODES, DATABASE_ERROR] };
/** Stripe steps: a Stripe refusal (`provider_error`) is final. */
const STRIPE_RETRY: RetryShape = { initialInterval: '1s', maximumInterval: '1m', final: ['provider_error', DATABASE_ERROR] };

/** One attempt may take `attempt`; all attempts and their backoff together `budget`. */
function stepOptions(attempt: string, budget: string, retry: RetryShape): ActivityOptions {
  return {
    startToCloseTimeout: attempt,
    scheduleToCloseTimeout: budget,
    retry: {
      initialInterval: retry.initialInterval,
      backoffCoefficient: 2,
      maximumInterval: retry.maximumInterval,
      nonRetryableErrorTypes: retry.final,
    },
  };
}

// The retry budget of every database step. Postgres down, a lost connection, a
// serialization failure or a deadlock is retried with backoff for up to 10 minutes:
// longer than a Postgres restart or a managed failover (seconds to a couple of
// minutes), short enough that a step that cannot succeed fails its workflow within
// minutes instead of running forever. Local-activity retries run inside one workflow
// task that heartbeats every ~2.4 s (3 events each), so 10 minutes of retries add
// under a thousand events to the history: far from Temporal's limit.
export const database = proxyLocalActivities<Activities>(stepOptions('15s', '10m', LEDGER_RETRY));

/**
 * The workflow's own end of a payment authorization (the void at expiry, or after a
 * Temporal cancel): a hold must not outlive its workflow, so this ledger step retries for
 * up to a day (a Postgres outage of hours) instead of ledger's 10 minutes, backing off
 * to a minute. Refusals and data errors are not retried, as for every ledger step.
 */
export const ledgerRelease = proxyLocalActivities<Activities>(stepOptions('15s', '24h', { ...LEDGER_RETRY, maximumInterval: '1m' }));

/**
 * Stripe steps before any money moves (account, links): ordinary activities retried
 * with backoff for up to 10 minutes; after that the workflow releases the hold.
 * A Stripe refusal (`provider_error`) is not retried.
 */
export const stripeSetup = proxyActivities<Activities>(stepOptions('30s', '10m', STRIPE_RETRY));

/**
 * Stripe steps that move money (transfer, payout, reversal, payout poll): retried
 * until they succeed or Stripe refuses, for up to a day. Giving up on a transfer whose
 * outcome is unknown must not release the hold (it could pay out and release both),
 * so when the day is spent the workflow fails with the hold in place, for an operator
 * (and the hold sweeper) to resolve; the idempotency key makes every retry safe. A day
 * outlasts any Stripe outage on record, and no step retries forever.
 */
export const stripeMoney = proxyActivities<Activities>(stepOptions('30s', '24h', STRIPE_RETRY));

/**
 * Batch steps (src/workflows/batch.ts): ordinary activities, since one may post up to
 * 1,000 items (seconds, longer than a workflow task's timeout). The retry budget and the
 * refusals that are never retried are the ledger steps'.
 */
export const batchSteps = proxyActivities<Activities>(stepOptions('2m', '10m', LEDGER_RETRY));
