/**
 * Activity options shared by the workflows. Ledger steps run as *local* activities:
 * they execute in the worker that holds the workflow task, so a whole topup or
 * payment is one workflow task and one round trip to the server.
 */
import { proxyLocalActivities } from '@temporalio/workflow';
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
