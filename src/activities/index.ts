/**
 * createActivities({ pool }) builds every activity the worker registers. Workflows
 * import the *type* only (`import type { Activities }`), never this module's code.
 */
import type { Pool } from '../db/pool';
import { withFailureMapping } from './failures';
import { createLedgerActivities } from './ledger';
import { createRefundActivities } from './refund';
import { createTransferActivities } from './transfer';
import { createWebhookActivities } from './webhooks';

export interface ActivityDeps {
  pool: Pool;
}

export function createActivities(deps: ActivityDeps) {
  return withFailureMapping({
    ...createLedgerActivities(deps),
    ...createTransferActivities(deps),
    ...createRefundActivities(deps),
    ...createWebhookActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
