/**
 * Stripe event routing (POST /stripe/webhook hands each verified event here).
 *
 * Routing uses the ids we put in the objects' metadata: account.updated → the user's
 * withdrawals awaiting onboarding (env_id, user_id); payout.* → the withdrawal
 * (env_id, withdrawal_id); payment_intent.* → the card top-up whose PaymentIntent it
 * is (data.object.id; src/services/card-topups.ts).
 *
 * Order: (1) one SQL transaction records the event id (a redelivery has no second
 * effect), makes the database's own changes and decides which workflows to signal;
 * (2) after its commit, the signals — never while a transaction holds a pooled
 * connection and row locks across a Temporal round trip; (3) a payout whose workflow
 * no longer runs is written to the withdrawal in a second transaction. When (2) or
 * (3) fails (Temporal or Postgres down) the event id is forgotten again and the
 * error answers 503, so Stripe delivers the event again and it is routed then (its
 * database changes are idempotent, and a workflow keeps the first outcome per payout).
 */
import type { PaymentIntentOutcome } from '../domain/card-topups';
import type { PayoutOutcome } from '../domain/withdrawals';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import {
  findAwaitingOnboarding,
  findWithdrawal,
  forgetStripeEvent,
  lockWithdrawal,
  recordStripeEvent,
  setPayoutsEnabled,
} from '../db/queries/withdrawals';
import type { Stripe } from '../stripe';
import { markNeedsAttention, recordLatePayoutOutcome } from '../activities/withdrawals';
import { deliverPaymentIntentOutcome, isPaymentIntentEvent, planPaymentIntentEvent, type PaymentIntentSignal } from './card-topups';

/** The signals a Stripe event sends; each is true when a running workflow received it. */
export interface StripeEventSignals {
  accountReady(workflowId: string, source: string): Promise<boolean>;
  payoutOutcome(workflowId: string, outcome: PayoutOutcome): Promise<boolean>;
  paymentIntentOutcome(workflowId: string, outcome: PaymentIntentOutcome): Promise<boolean>;
}

export interface StripeEventResult {
  duplicate: boolean;
  /** How many withdrawals or card top-ups the event reached (signalled, marked or recorded). */
  routed: number;
}

/** What the first transaction decided: what is left to do after its commit. */
type Plan =
  | { kind: 'done'; routed: number }
  | { kind: 'account_ready'; workflowIds: string[] }
  | { kind: 'payout'; type: string; withdrawalId: string; workflowId: string; outcome: PayoutOutcome }
  | { kind: 'payment_intent'; signal: PaymentIntentSignal };

const ID = /^[0-9]{1,19}$/;
const PAYOUT_EVENTS = new Set(['payout.paid', 'payout.failed', 'payout.canceled']);

export function metadataOf(object: unknown): Record<string, string> {
  const metadata = (object as { metadata?: unknown } | null)?.metadata;
  return metadata && typeof metadata === 'object' ? (metadata as Record<string, string>) : {};
}

/** The outcome a payout event reports (pure). */
export function payoutOutcomeOf(type: string, payout: Pick<Stripe.Payout, 'id' | 'status' | 'failure_code' | 'failure_message'>): PayoutOutcome {
  return type === 'payout.paid'
    ? { payoutId: payout.id, status: 'paid' }
    : { payoutId: payout.id, status: 'failed', failureCode: payout.failure_code ?? `payout_${payout.status}`, failureMessage: payout.failure_message ?? null };
}

export async function handleStripeEvent(pool: Pool, signals: StripeEventSignals, event: Stripe.Event): Promise<StripeEventResult> {
  const plan = await withTransaction(pool, async (client) => {
    if (!(await recordStripeEvent(client, event.id, event.type))) return null;
    if (event.type === 'account.updated') return planAccountUpdated(client, event.data.object);
    if (PAYOUT_EVENTS.has(event.type)) return planPayout(client, event.type, event.data.object as Stripe.Payout);
    if (isPaymentIntentEvent(event.type)) {
      const planned = await planPaymentIntentEvent(client, event.id, event.type, event.data.object as { id?: unknown });
      return 'signal' in planned ? ({ kind: 'payment_intent', signal: planned.signal } satisfies Plan) : ({ kind: 'done', routed: planned.routed } satisfies Plan);
    }
    return { kind: 'done', routed: 0 } satisfies Plan;
  });
  if (!plan) return { duplicate: true, routed: 0 };
  try {
    return { duplicate: false, routed: await carryOut(pool, signals, plan) };
  } catch (err) {
    // Not delivered: Stripe's next delivery of this event must not be taken for a duplicate.
    await forgetStripeEvent(pool, event.id).catch(() => undefined);
    throw err;
  }
}

async function planAccountUpdated(client: PoolClient, account: Stripe.Account): Promise<Plan> {
  const { env_id: envId, user_id: userId } = metadataOf(account);
  if (!envId || !ID.test(envId) || !userId) return { kind: 'done', routed: 0 };
  const known = await setPayoutsEnabled(client, envId, userId, account.id, account.payouts_enabled === true);
  if (!known || account.payouts_enabled !== true) return { kind: 'done', routed: 0 };
  // No account recorded yet: the workflow is between creating the user's (one) account
  // and recording it, and would otherwise miss this event.
  const waiting = await findAwaitingOnboarding(client, envId, userId);
  return {
    kind: 'account_ready',
    workflowIds: waiting.filter((w) => w.stripeAccountId === null || w.stripeAccountId === account.id).map((w) => w.workflowId),
  };
}

async function planPayout(client: PoolClient, type: string, payout: Stripe.Payout): Promise<Plan> {
  const { env_id: envId, withdrawal_id: withdrawalId } = metadataOf(payout);
  if (!envId || !ID.test(envId) || !withdrawalId || !ID.test(withdrawalId)) return { kind: 'done', routed: 0 };
  const withdrawal = await findWithdrawal(client, envId, withdrawalId);
  // A payout id already recorded must match; one not yet recorded (webhook before the
  // activity's result) is kept by the workflow until it learns the id.
  if (!withdrawal || (withdrawal.stripePayoutId && withdrawal.stripePayoutId !== payout.id)) return { kind: 'done', routed: 0 };
  // payout.failed after payout.paid (Stripe sends these: the bank returned the money to the
  // connected account). The workflow has settled and ended: the event is not dropped but
  // recorded in the timeline, and the withdrawal goes to needs_attention (merchant event,
  // metric, console) in this transaction. A workflow still running gets the signal and
  // does the same after its settle.
  if (type !== 'payout.paid' && withdrawal.status === 'paid' && withdrawal.stripePayoutId === payout.id) {
    const marked = await markNeedsAttention(client, {
      withdrawalId: withdrawal.id,
      step: 'needs_attention',
      reason: 'payout_failed_after_paid',
      detail: { stripe_payout_id: payout.id, stripe_event: type, failure_code: payout.failure_code ?? null },
      failureCode: payout.failure_code ?? `payout_${payout.status}`,
      failureMessage: payout.failure_message ?? `${type} came after payout.paid: the money is back in the connected account`,
    });
    return { kind: 'done', routed: marked ? 1 : 0 };
  }
  return { kind: 'payout', type, withdrawalId: withdrawal.id, workflowId: withdrawal.workflowId, outcome: payoutOutcomeOf(type, payout) };
}

async function carryOut(pool: Pool, signals: StripeEventSignals, plan: Plan): Promise<number> {
  if (plan.kind === 'done') return plan.routed;
  if (plan.kind === 'payment_intent') return deliverPaymentIntentOutcome(pool, signals.paymentIntentOutcome, plan.signal);
  if (plan.kind === 'account_ready') {
    let routed = 0;
    for (const workflowId of plan.workflowIds) if (await signals.accountReady(workflowId, 'account.updated')) routed++;
    return routed;
  }
  if (await signals.payoutOutcome(plan.workflowId, plan.outcome)) return 1;
  return withTransaction(pool, (client) => recordOutcomeAfterWorkflow(client, plan));
}

/**
 * The workflow no longer runs (it handed the withdrawal to an operator: payout timed out,
 * reversal refused; or it was terminated and the sweeper will). The outcome is what the
 * operator must decide on, so it goes into the timeline instead of being dropped, and
 * `withdrawals resolve` refuses to release a hold whose payout Stripe last reported paid.
 */
async function recordOutcomeAfterWorkflow(client: PoolClient, plan: Extract<Plan, { kind: 'payout' }>): Promise<number> {
  const withdrawal = await lockWithdrawal(client, plan.withdrawalId);
  if (!withdrawal) return 0;
  const late = { type: plan.type, payoutId: plan.outcome.payoutId, outcome: plan.outcome };
  if (withdrawal.status === 'needs_attention' || withdrawal.status === 'processing') {
    await recordLatePayoutOutcome(client, withdrawal.id, late);
    return 1;
  }
  // payout.paid for a withdrawal whose hold was released (the reversal, or an operator's
  // `resolve --outcome released`): the user may now have the amount twice, in the wallet and
  // at the bank. Recorded and handed to an operator like payout.failed after payout.paid.
  if (withdrawal.status === 'failed' && plan.outcome.status === 'paid' && withdrawal.stripePayoutId === plan.outcome.payoutId) {
    await recordLatePayoutOutcome(client, withdrawal.id, late);
    const marked = await markNeedsAttention(client, {
      withdrawalId: withdrawal.id,
      step: 'needs_attention',
      reason: 'payout_paid_after_release',
      detail: { stripe_payout_id: plan.outcome.payoutId, stripe_event: plan.type },
      failureCode: 'payout_paid_after_release',
      failureMessage: `${plan.type} came after the hold was released to the wallet: the amount may be both in the wallet and at the bank`,
    });
    return marked ? 1 : 0;
  }
  return 0;
}
