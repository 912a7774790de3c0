/**
 * createActivities({ pool, stripe, publicUrl }) builds every activity the worker
 * registers. Workflows import the *type* only (`import type { Activities }`), never
 * this module's code.
 */
import type { Pool } from '../db/pool';
import type { Stripe } from '../stripe';
import { createStripeActivities } from './stripe';
import { createWithdrawalActivities } from './withdrawals';
import { createSweeperActivities } from './hold-sweeper';
import { createReconcileActivities, type ReconcileStripe } from './reconcile';
import { withFailureMapping } from './failures';
import { createLedgerActivities } from './ledger';
import { createAuthorizationActivities } from './authorizations';
import { createCardTopupActivities, createCardTopupStripeActivities } from './card-topups';
import { createRefundActivities } from './refund';
import { createTransferActivities } from './transfer';
import { createBatchActivities } from './batch';
import { createWebhookActivities } from './webhooks';
import { createScheduleActivities, type ScheduleActivityDeps } from './schedules';

export interface ActivityDeps {
  pool: Pool;
  stripe: Stripe;
  /** Base of the URLs Stripe sends users back to (PUBLIC_URL). */
  publicUrl: string;
  /** WITHDRAWAL_LIMIT_SHARE (default 1): the per-environment withdrawal cap's share of deposits. */
  withdrawalLimitShare?: number;
  /** Webhook delivery policy (WEBHOOK_ALLOW_PRIVATE_NETWORKS); absent = public addresses only. */
  webhooks?: { allowPrivateNetworks?: boolean };
  /** RECONCILE_LOOKBACK_MS: a reconciliation's window when no `since` is given (default 7 days). */
  reconcileLookbackMs?: number;
  /** Stand-in for Stripe's list/retrieve calls in reconciliation (tests); default: `stripe`. */
  reconcileStripe?: ReconcileStripe;
  /** Schedules: the self-pause threshold and the waits of scheduled withdraws (config). */
  schedules?: Omit<ScheduleActivityDeps, 'pool'>;
}

export function createActivities(deps: ActivityDeps) {
  return withFailureMapping({
    // Stripe activities map Stripe's errors themselves (stripe-failures.ts); the
    // DomainError mapping passes their ApplicationFailures through unchanged.
    ...createStripeActivities(deps),
    ...createWithdrawalActivities(deps),
    ...createSweeperActivities(deps),
    ...createReconcileActivities(deps),
    ...createLedgerActivities(deps),
    ...createAuthorizationActivities(deps),
    ...createCardTopupActivities(deps),
    ...createCardTopupStripeActivities(deps),
    ...createTransferActivities(deps),
    ...createBatchActivities(deps),
    ...createRefundActivities(deps),
    ...createWebhookActivities(deps),
    ...createScheduleActivities({ pool: deps.pool, ...deps.schedules }),
  });
}

export type Activities = ReturnType<typeof createActivities>;
