/**
 * Card top-ups (issue 12, part 1; README, Card top-ups): the rules the routes and the
 * Stripe webhook call. Starting one (the wallet must be the user's; the amount exact
 * in the wallet's currency), reading one with its timeline, and routing a
 * payment_intent.* event to its top-up (src/services/stripe-events.ts calls it: the
 * database's changes in the event's transaction, the signal after its commit).
 */
import { DomainError } from '../domain/errors';
import type { CardTopup, CardTopupEvent, CardTopupStarted, PaymentIntentOutcome } from '../domain/card-topups';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import { addCardTopupEvent, findCardTopup, listCardTopupEvents, lockCardTopup, lockCardTopupByPaymentIntent, updateCardTopup } from '../db/queries/card-topups';
import { walletAndAmount } from './wallets';
import { markCardTopupNeedsAttention } from '../activities/card-topups';
import { signalPaymentIntentOutcome, startCardTopupWorkflow } from '../api/card-topup-temporal';
import type { Idempotency } from '../api/idempotency';
import type { TemporalDeps } from '../api/temporal';

/** The waits passed to cardTopup workflows (config CARD_TOPUP_*); unset ones take the workflow's defaults. */
export interface CardTopupSettings {
  ttlMs?: number;
  clearingPollMs?: number;
  clearingTimeoutMs?: number;
}

export interface StartCardTopup extends Idempotency {
  envId: string;
  walletId: string;
  userId: string;
  /** The request's amount, exact text (parsed in the wallet's currency here). */
  amount: string;
}

export async function startCardTopup(
  pool: Pool,
  temporal: TemporalDeps,
  settings: CardTopupSettings,
  req: StartCardTopup,
): Promise<{ started: CardTopupStarted; workflowId: string }> {
  const { wallet, minor } = await walletAndAmount(pool, req);
  return startCardTopupWorkflow(temporal, pool, {
    idempotencyKey: req.idempotencyKey,
    ...(req.requestHash ? { requestHash: req.requestHash } : {}),
    input: { envId: req.envId, walletId: wallet.id, userId: wallet.userId, amount: minor.toString(), currency: wallet.currency, ...settings },
  });
}

export async function getCardTopup(pool: Pool, envId: string, topupId: string): Promise<{ topup: CardTopup; timeline: CardTopupEvent[] }> {
  const topup = await findCardTopup(pool, envId, topupId);
  if (!topup) throw new DomainError('not_found', `top-up ${topupId} not found`, { topup_id: topupId });
  return { topup, timeline: await listCardTopupEvents(pool, topup.id) };
}

export const PAYMENT_INTENT_EVENTS = {
  'payment_intent.succeeded': 'succeeded',
  'payment_intent.payment_failed': 'failed',
  'payment_intent.canceled': 'canceled',
} as const satisfies Record<string, PaymentIntentOutcome['status']>;

export function isPaymentIntentEvent(type: string): type is keyof typeof PAYMENT_INTENT_EVENTS {
  return Object.hasOwn(PAYMENT_INTENT_EVENTS, type);
}

interface PaymentIntentObject {
  id?: unknown;
  last_payment_error?: { code?: string | null; decline_code?: string | null; message?: string | null } | null;
  cancellation_reason?: string | null;
}

/** A payment_intent.* event's outcome to signal to its top-up's workflow after the event's commit. */
export interface PaymentIntentSignal {
  topupId: string;
  workflowId: string;
  eventId: string;
  outcome: PaymentIntentOutcome;
  detail: Record<string, unknown>;
}

/**
 * A payment_intent.* event, in the Stripe event's SQL transaction (its id is recorded
 * there: a redelivery does nothing). The top-up is found by the event's PaymentIntent id
 * and locked, so two deliveries for one top-up (two success events at once) are decided
 * one after the other:
 * - waiting (requires_payment) with no outcome yet: the outcome is written on the row and
 *   the workflow is to be signalled after the commit (deliverPaymentIntentOutcome); with
 *   one already: only a timeline step (the first wins) — unless this very event wrote it
 *   and its signal failed (Stripe delivers it again): then it is signalled again (the
 *   workflow keeps the first outcome it receives);
 * - completed: a success again credits nothing (timeline step);
 * - failed or expired: a success is recorded and the top-up goes to needs_attention (not
 *   credited: the PaymentIntent may have been canceled, an operator decides).
 */
export async function planPaymentIntentEvent(
  client: PoolClient,
  eventId: string,
  type: keyof typeof PAYMENT_INTENT_EVENTS,
  object: PaymentIntentObject,
): Promise<{ routed: number } | { signal: PaymentIntentSignal }> {
  if (typeof object.id !== 'string') return { routed: 0 };
  const topup = await lockCardTopupByPaymentIntent(client, object.id);
  if (!topup) return { routed: 0 };
  const status = PAYMENT_INTENT_EVENTS[type];
  const error = object.last_payment_error ?? null;
  const outcome: PaymentIntentOutcome = {
    status,
    eventId,
    failureCode: status === 'failed' ? (error?.decline_code ?? error?.code ?? 'payment_failed') : status === 'canceled' ? 'payment_intent_canceled' : null,
    failureMessage: status === 'failed' ? (error?.message ?? null) : status === 'canceled' ? (object.cancellation_reason ?? null) : null,
  };
  const detail = { stripe_event_id: eventId, stripe_event: type, payment_intent_id: object.id, status_before: topup.status };
  const step = `payment_${status}`;
  const signal = { signal: { topupId: topup.id, workflowId: topup.workflowId, eventId, outcome, detail } };

  if (topup.status === 'requires_payment') {
    if (topup.outcome !== null) {
      const firstTime = await addCardTopupEvent(client, topup.id, `event:${eventId}`, `${step}_ignored`, { ...detail, first_outcome: topup.outcome });
      // Seen before: this event's earlier delivery answered 503 (its signal failed).
      return firstTime ? { routed: 0 } : signal;
    }
    await updateCardTopup(client, topup.id, { outcome: status, failureCode: outcome.failureCode ?? null, failureMessage: outcome.failureMessage ?? null });
    await addCardTopupEvent(client, topup.id, `event:${eventId}`, step, detail);
    return signal;
  }
  if (status === 'succeeded' && (topup.status === 'failed' || topup.status === 'expired')) {
    await addCardTopupEvent(client, topup.id, `event:${eventId}`, 'late_payment_succeeded', detail);
    await markCardTopupNeedsAttention(client, topup, topup.status === 'expired' ? 'succeeded_after_expiry' : 'succeeded_after_failure', `attention:${eventId}`, detail);
    return { routed: 1 };
  }
  // completed (a second success, or a late failure Stripe would not send) or needs_attention: kept in the timeline.
  await addCardTopupEvent(client, topup.id, `event:${eventId}`, `${step}_ignored`, detail);
  return { routed: 0 };
}

/**
 * After the event's commit: the signal. Nothing waits for it any more (the workflow was
 * terminated): an operator decides (needs_attention, in a transaction of its own).
 */
export async function deliverPaymentIntentOutcome(
  pool: Pool,
  send: (workflowId: string, outcome: PaymentIntentOutcome) => Promise<boolean>,
  s: PaymentIntentSignal,
): Promise<number> {
  if (await send(s.workflowId, s.outcome)) return 1;
  await withTransaction(pool, async (client) => {
    const topup = await lockCardTopup(client, s.topupId);
    if (topup && topup.status !== 'completed' && topup.status !== 'needs_attention') {
      await markCardTopupNeedsAttention(client, topup, 'workflow_closed', `attention:${s.eventId}`, s.detail);
    }
  });
  return 1;
}

/** Sends a payment_intent.* outcome to a card top-up's workflow (false: it no longer runs). */
export function paymentIntentSignal(temporal: TemporalDeps) {
  return (workflowId: string, outcome: PaymentIntentOutcome) => signalPaymentIntentOutcome(temporal, workflowId, outcome);
}
