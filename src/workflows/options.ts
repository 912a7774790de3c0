/**
 * Activity options shared by the workflows. Ledger steps run as *local* activities:
 * they execute in the worker that holds the workflow task, so a whole topup or
 * payment is one workflow task and one round trip to the server.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { BUSINESS_ERROR_CODES } from '../domain/errors';

export const ledger = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15s',
  // Postgres being down or a serialization failure is retried with backoff until it
  // comes back; business refusals are not retried at all.
  retry: {
    initialInterval: '100ms',
    backoffCoefficient: 2,
    maximumInterval: '5s',
    nonRetryableErrorTypes: [...BUSINESS_ERROR_CODES],
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
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: ['provider_error'] },
});

/**
 * Stripe steps that move money (transfer, payout, reversal, payout poll): retried
 * until they succeed or Stripe refuses. Giving up on a transfer whose outcome is
 * unknown could pay out and release both; the idempotency key makes retrying safe.
 */
export const stripeMoney = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: ['provider_error'] },
});
