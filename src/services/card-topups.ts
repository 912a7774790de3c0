/**
 * Card top-ups (issue 12, part 1; README, Card top-ups): the rules the routes and the
 * Stripe webhook call. Starting one (the wallet must be the user's; the amount exact
 * in the wallet's currency), reading one with its timeline, and routing a
 * payment_intent.* event to its top-up.
 */
import { DomainError } from '../domain/errors';
import { parseAmount } from '../domain/money';
import type { CardTopup, CardTopupEvent, CardTopupStarted, PaymentIntentOutcome } from '../domain/card-topups';
import type { Pool, PoolClient } from '../db/pool';
import { addCardTopupEvent, findCardTopup, listCardTopupEvents, lockCardTopupByPaymentIntent, updateCardTopup } from '../db/queries/card-topups';
import { findWallet } from '../db/queries/wallets';
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
  const wallet = await findWallet(pool, req.envId, req.walletId, req.userId);
  if (!wallet) throw new DomainError('not_found', `wallet ${req.walletId} not found for user ${req.userId}`, { wallet_id: req.walletId });
  const minor = parseAmount(req.amount, wallet.currency);
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

/**
 * A payment_intent.* event, in the Stripe event's SQL transaction (its id is recorded
 * there: a redelivery does nothing). The top-up is found by the event's PaymentIntent id
 * and locked, so two deliveries for one top-up (two success events at once) are decided
 * one after the other:
 * - waiting (requires_payment) with no outcome yet: the outcome is written on the row and
 *   the workflow is signalled; with one already: only a timeline step (the first wins);
 * - completed: a success again credits nothing (timeline step);
 * - failed or expired: a success is recorded and the top-up goes to needs_attention (not
 *   credited: the PaymentIntent may have been canceled, an operator decides);
 * - the workflow gone while the top-up waits (terminated): needs_attention.
 */
export async function onPaymentIntentEvent(
  client: PoolClient,
  temporal: TemporalDeps,
  eventId: string,
  type: keyof typeof PAYMENT_INTENT_EVENTS,
  object: PaymentIntentObject,
): Promise<{ routed: number }> {
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

  if (topup.status === 'requires_payment') {
    if (topup.outcome !== null) {
      await addCardTopupEvent(client, topup.id, `event:${eventId}`, `${step}_ignored`, { ...detail, first_outcome: topup.outcome });
      return { routed: 0 };
    }
    await updateCardTopup(client, topup.id, { outcome: status, failureCode: outcome.failureCode ?? null, failureMessage: outcome.failureMessage ?? null });
    await addCardTopupEvent(client, topup.id, `event:${eventId}`, step, detail);
    if (await signalPaymentIntentOutcome(temporal, topup.workflowId, outcome)) return { routed: 1 };
    // Nothing waits for it any more (the workflow was terminated): an operator decides.
    await markCardTopupNeedsAttention(client, topup, 'workflow_closed', `attention:${eventId}`, detail);
    return { routed: 1 };
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
