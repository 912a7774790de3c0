/**
 * Typed domain errors with stable codes. Code is what clients and workflows match
 * on. Activities turn business refusals into non-retryable ApplicationFailures whose
 * `type` is the code, so the code survives the trip through Temporal unchanged.
 */

/** What a code means beyond its name. */
interface ErrorSpec {
  /** The HTTP status the API answers with (applied once, at the API edge: src/api/errors.ts). */
  status: number;
  /** A refusal by our own rules that no retry can fix: workflows do not retry an activity failing with it. */
  business: boolean;
}

/** Every code, once, each saying both (a new code must decide). The order is the OpenAPI enum's. */
export const ERROR_CATALOGUE = {
  invalid_json: { status: 400, business: false },
  invalid_request: { status: 422, business: true },
  unauthorized: { status: 401, business: false },
  /** Signed mode: this exact signature was already accepted (a replayed request). */
  replayed_signature: { status: 401, business: false },
  forbidden: { status: 403, business: false },
  not_found: { status: 404, business: true },
  wallet_not_active: { status: 422, business: true },
  insufficient_funds: { status: 422, business: true },
  currency_mismatch: { status: 422, business: true },
  /** A topup the environment's funding float (deposits + credit line − used) cannot cover. */
  funding_limit_exceeded: { status: 422, business: true },
  /** A withdrawal over the environment's cap (in flight + paid in 24 h ≤ a share of what it deposited). */
  withdrawal_limit_exceeded: { status: 422, business: true },
  /** A payment, transfer or withdrawal over the wallet's spend limit (daily/monthly amount, daily count). */
  limit_exceeded: { status: 422, business: true },
  /** A statement range holding more lines than one statement may carry: ask for a shorter range. */
  statement_too_large: { status: 422, business: true },
  /** Capture or void of an order that is not (or no longer) an authorization waiting for it: captured, voided, expired, or never one. */
  order_not_authorized: { status: 409, business: true },
  /** Capture or void after the authorization's expires_at: the hold voids itself. */
  authorization_expired: { status: 409, business: true },
  /** A capture of more than the authorization holds. */
  amount_exceeds_authorization: { status: 422, business: true },
  /** An atomic batch one of whose items was refused: details name the item (index, code, message, details); nothing moved. */
  batch_refused: { status: 422, business: true },
  idempotency_key_mismatch: { status: 409, business: false },
  conflict: { status: 409, business: true },
  /** A refund of a split payment whose seller no longer holds its share (refund with from_revenue instead). */
  seller_insufficient_funds: { status: 409, business: true },
  payload_too_large: { status: 413, business: false },
  rate_limited: { status: 429, business: false },
  /** Stripe refused a call that a retry cannot fix (invalid request, permissions). */
  provider_error: { status: 502, business: false },
  /** A Stripe webhook whose signature does not verify: Stripe's convention is a 400. */
  invalid_signature: { status: 400, business: false },
  unavailable: { status: 503, business: false },
  internal: { status: 500, business: false },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as [ErrorCode, ...ErrorCode[]];

/** Refusals that a retry cannot fix: workflows must not retry activities failing with these. */
export const BUSINESS_ERROR_CODES: ErrorCode[] = ERROR_CODES.filter((code) => ERROR_CATALOGUE[code].business);

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
