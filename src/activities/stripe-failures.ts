/**
 * Stripe errors → Temporal failures. A request Stripe refuses (invalid request,
 * permission, authentication, idempotency-key reuse with other parameters, card) fails
 * the step at once (non-retryable, type `provider_error`) so the workflow compensates.
 * Rate limits, 5xx and network errors retry with backoff; the idempotency key makes a
 * retry safe even when the first attempt reached Stripe.
 */
import { ApplicationFailure } from '@temporalio/common';
import Stripe from 'stripe';
import { mapFailures } from './failures';

export const PROVIDER_ERROR = 'provider_error';

const REFUSALS = new Set([
  'StripeInvalidRequestError',
  'StripePermissionError',
  'StripeAuthenticationError',
  'StripeIdempotencyError',
  'StripeCardError',
]);

export function toStripeFailure(err: unknown): unknown {
  if (!(err instanceof Stripe.errors.StripeError)) return err;
  // Only the type, code and message leave: the error's raw request holds headers.
  const details = { stripe_type: err.type, stripe_code: err.code ?? null, status: err.statusCode ?? null };
  if (REFUSALS.has(err.type)) {
    return ApplicationFailure.create({ type: PROVIDER_ERROR, message: `Stripe refused: ${err.message}`, details: [details], nonRetryable: true });
  }
  return ApplicationFailure.create({ type: 'stripe_unavailable', message: `Stripe unavailable: ${err.message}`, details: [details] });
}

/** Wraps every function of an activities object with toStripeFailure. */
export function withStripeFailures<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  return mapFailures(activities, toStripeFailure);
}
