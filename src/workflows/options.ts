/**
 * Activity options shared by the workflows. Ledger steps run as *local* activities:
 * they execute in the worker that holds the workflow task, so a whole topup or
 * payment is one workflow task and one round trip to the server.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { BUSINESS_ERROR_CODES, DATABASE_ERROR } from '../domain/errors';

export const ledger = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15s',
  // The retry budget of every ledger step. Postgres down, a lost connection, a
  // serialization failure or a deadlock is retried with backoff for up to 10 minutes:
  // longer than a Postgres restart or a managed failover (seconds to a couple of
  // minutes), short enough that a step that cannot succeed fails its workflow within
  // minutes instead of running forever. Local-activity retries run inside one workflow
  // task that heartbeats every ~2.4 s (3 events each), so 10 minutes of retries add
  // under a thousand events to the history: far from Temporal's limit.
  // Business refusals and data/integrity errors (src/activities/failures.ts) are not
  // retried at all.
  scheduleToCloseTimeout: '10m',
  retry: {
    initialInterval: '100ms',
    backoffCoefficient: 2,
    maximumInterval: '5s',
    nonRetryableErrorTypes: [...BUSINESS_ERROR_CODES, DATABASE_ERROR],
  },
});

/**
 * The workflow's own end of a payment authorization (the void at expiry, or after a
 * Temporal cancel): a hold must not outlive its workflow, so this ledger step retries for
 * up to a day (a Postgres outage of hours) instead of ledger's 10 minutes. Refusals and
 * data errors are not retried, as for every ledger step.
 */
export const ledgerRelease = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: '24h',
  retry: {
    initialInterval: '100ms',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    nonRetryableErrorTypes: [...BUSINESS_ERROR_CODES, DATABASE_ERROR],
  },
});

/**
 * Stripe steps before any money moves (account, links): ordinary activities retried
 * with backoff for up to 10 minutes; after that the workflow releases the hold.
 * A Stripe refusal (`provider_error`) is not retried.
 */
export const stripeSetup = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: ['provider_error', DATABASE_ERROR] },
});

/**
 * Stripe steps that move money (transfer, payout, reversal, payout poll): retried
 * until they succeed or Stripe refuses, for up to a day. Giving up on a transfer whose
 * outcome is unknown must not release the hold (it could pay out and release both),
 * so when the day is spent the workflow fails with the hold in place, for an operator
 * (and the hold sweeper) to resolve; the idempotency key makes every retry safe. A day
 * outlasts any Stripe outage on record, and no step retries forever.
 */
export const stripeMoney = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: ['provider_error', DATABASE_ERROR] },
});

/**
 * Batch steps (src/workflows/batch.ts): ordinary activities, since one may post up to
 * 1,000 items (seconds, longer than a workflow task's timeout). The retry budget and the
 * refusals that are never retried are the ledger steps'.
 */
export const batchSteps = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  scheduleToCloseTimeout: '10m',
  retry: {
    initialInterval: '100ms',
    backoffCoefficient: 2,
    maximumInterval: '5s',
    nonRetryableErrorTypes: [...BUSINESS_ERROR_CODES, DATABASE_ERROR],
  },
});
