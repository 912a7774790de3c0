/**
 * Typed domain errors with stable codes. Code is what clients and workflows match
 * on; the HTTP status is decided once, at the API edge (src/api/errors.ts).
 * Activities turn these into non-retryable ApplicationFailures whose `type` is the
 * code, so the code survives the trip through Temporal unchanged.
 */
export const ERROR_CODES = [
  'invalid_json',
  'invalid_request',
  'unauthorized',
  /** Signed mode: this exact signature was already accepted (a replayed request). */
  'replayed_signature',
  'forbidden',
  'not_found',
  'wallet_not_active',
  'insufficient_funds',
  'currency_mismatch',
  /** A topup the environment's funding float (deposits + credit line − used) cannot cover. */
  'funding_limit_exceeded',
  /** A withdrawal over the environment's cap (in flight + paid in 24 h ≤ a share of what it deposited). */
  'withdrawal_limit_exceeded',
  /** A payment, transfer or withdrawal over the wallet's spend limit (daily/monthly amount, daily count). */
  'limit_exceeded',
  /** A statement range holding more lines than one statement may carry: ask for a shorter range. */
  'statement_too_large',
  /** Capture or void of an order that is not (or no longer) an authorization waiting for it: captured, voided, expired, or never one. */
  'order_not_authorized',
  /** Capture or void after the authorization's expires_at: the hold voids itself. */
  'authorization_expired',
  /** A capture of more than the authorization holds. */
  'amount_exceeds_authorization',
  /** An atomic batch one of whose items was refused: details name the item (index, code, message, details); nothing moved. */
  'batch_refused',
  'idempotency_key_mismatch',
  'conflict',
  /** A refund of a split payment whose seller no longer holds its share (refund with from_revenue instead). */
  'seller_insufficient_funds',
  'payload_too_large',
  'rate_limited',
  'provider_error',
  'invalid_signature',
  'unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Refusals that a retry cannot fix: workflows must not retry activities failing with these. */
export const BUSINESS_ERROR_CODES: ErrorCode[] = [
  'invalid_request',
  'not_found',
  'wallet_not_active',
  'insufficient_funds',
  'currency_mismatch',
  'funding_limit_exceeded',
  'withdrawal_limit_exceeded',
  'limit_exceeded',
  'statement_too_large',
  'order_not_authorized',
  'authorization_expired',
  'amount_exceeds_authorization',
  'batch_refused',
  'conflict',
  'seller_insufficient_funds',
];

/**
 * The failure type of a database error no retry can fix (SQLSTATE classes 22, 23, 42:
 * src/activities/failures.ts). Not a client-facing code: the workflow fails and the
 * API answers 500 `internal` with the workflow id.
 */
export const DATABASE_ERROR = 'database_error';

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
