/**
 * Authorize now, capture later (issue 12, part 2): the rules the API, the service and the
 * activities share. No I/O.
 */
import { DomainError } from './errors';
import { formatAmount } from './money';
import type { Order } from './types';

/** `authorization_ttl_seconds`: 7 days unless given, at most 30 days, at least 1 second. */
export const AUTHORIZATION_TTL_SECONDS = { default: 7 * 24 * 3600, min: 1, max: 30 * 24 * 3600 } as const;

/** Why an authorization was voided: POST …/void/, its timer, or its workflow canceled in Temporal. */
export const VOID_REASONS = ['requested', 'expired', 'canceled'] as const;
export type VoidReason = (typeof VOID_REASONS)[number];

/** An order that is not (or no longer) an authorization waiting for a capture or a void: 409. */
export function orderNotAuthorized(order: Order): DomainError {
  return new DomainError(
    'order_not_authorized',
    order.expiresAt === null
      ? `order ${order.id} is a payment captured at once, not an authorization`
      : `order ${order.id} is ${order.status}${order.voidReason ? ` (${order.voidReason})` : ''}: it is no longer an authorization to capture or void`,
    { order_id: order.id, status: order.status, ...(order.voidReason ? { void_reason: order.voidReason } : {}) },
  );
}

/** A capture or a void after expires_at: the hold voids itself. */
export function authorizationExpired(order: Order): DomainError {
  return new DomainError('authorization_expired', `the authorization of order ${order.id} expired at ${order.expiresAt}: it voids itself`, {
    order_id: order.id,
    expires_at: order.expiresAt,
  });
}

/** A capture takes more than 0 and at most what the authorization holds (422 otherwise). */
export function assertCapturable(order: Order, captured: bigint): void {
  if (captured > 0n && captured <= BigInt(order.amount)) return;
  throw new DomainError(
    'amount_exceeds_authorization',
    `order ${order.id} holds ${formatAmount(BigInt(order.amount), order.currency)} ${order.currency}: a capture takes more than 0 and at most that`,
    { order_id: order.id, authorized_minor: order.amount, requested_minor: captured.toString() },
  );
}
