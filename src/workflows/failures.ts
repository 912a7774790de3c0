/**
 * A business refusal from an activity reaches the workflow as an ActivityFailure
 * wrapping an ApplicationFailure whose type is the domain error code. The workflow
 * re-throws it as its own non-retryable ApplicationFailure so that the workflow's
 * failure carries the code to the API. A Stripe refusal (`provider_error`, from
 * src/activities/stripe-failures.ts) is recognised by `providerRefusal`: the withdraw
 * workflow compensates for it. Pure functions of the failure (test/unit/workflow-failures.test.ts).
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { BUSINESS_ERROR_CODES, type ErrorCode } from '../domain/errors';

/** The failure type of a Stripe refusal (src/activities/stripe-failures.ts PROVIDER_ERROR). */
export const PROVIDER_ERROR = 'provider_error';

/** The business refusal inside an activity failure (or given as is), rethrowable by the workflow; null for anything else. */
export function businessFailure(err: unknown): ApplicationFailure | null {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure && BUSINESS_ERROR_CODES.includes(cause.type as ErrorCode)) {
    return ApplicationFailure.create({
      type: cause.type!,
      message: cause.message,
      details: cause.details ? [...cause.details] : [],
      nonRetryable: true,
    });
  }
  return null;
}

/** The Stripe refusal inside an activity failure (or given as is), if that is what it is; null otherwise. */
export function providerRefusal(err: unknown): ApplicationFailure | null {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && cause.type === PROVIDER_ERROR ? cause : null;
}
