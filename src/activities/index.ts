/**
 * createActivities({ pool, stripe, publicUrl }) builds every activity the worker
 * registers. Workflows import the *type* only (`import type { Activities }`), never
 * this module's code.
 */
import type { Pool } from '../db/pool';
import type { Stripe } from '../stripe';
import { withFailureMapping } from './failures';
import { createLedgerActivities } from './ledger';
import { createStripeActivities } from './stripe';
import { createWithdrawalActivities } from './withdrawals';

export interface ActivityDeps {
  pool: Pool;
  stripe: Stripe;
  /** Base of the URLs Stripe sends users back to (PUBLIC_URL). */
  publicUrl: string;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...withFailureMapping({
      ...createLedgerActivities(deps),
      ...createWithdrawalActivities(deps),
    }),
    ...createStripeActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
