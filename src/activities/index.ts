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
import { createTopupPaymentActivities } from './topup-payment';
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

/**
 * Every group of activities the worker registers, each built from the same deps. Stripe
 * activities map Stripe's errors themselves (stripe-failures.ts); the DomainError mapping
 * passes their ApplicationFailures through unchanged.
 */
const ACTIVITY_GROUPS = [
  // Ledger movements.
  createTopupPaymentActivities, createAuthorizationActivities, createTransferActivities, createBatchActivities, createRefundActivities,
  // Card top-ups (the ledger side, then Stripe's PaymentIntents).
  createCardTopupActivities, createCardTopupStripeActivities,
  // Withdrawals: the ledger side, then Stripe Connect.
  createWithdrawalActivities, createStripeActivities,
  // Work started by schedules and the outbox.
  createSweeperActivities, createReconcileActivities, createWebhookActivities,
  (deps: ActivityDeps) => createScheduleActivities({ pool: deps.pool, ...deps.schedules }),
] as const;

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
export type Activities = UnionToIntersection<ReturnType<(typeof ACTIVITY_GROUPS)[number]>>;

export function createActivities(deps: ActivityDeps): Activities {
  const all: Record<string, unknown> = {};
  for (const group of ACTIVITY_GROUPS) {
    for (const [name, activity] of Object.entries(group(deps))) {
      // Two groups with one name would register only the later one: a workflow would run the wrong step.
      if (name in all) throw new Error(`activity ${name} is defined by two groups`);
      all[name] = activity;
    }
  }
  return withFailureMapping(all as Activities);
}
