/**
 * A business refusal from an activity reaches the workflow as an ActivityFailure
 * wrapping an ApplicationFailure whose type is the domain error code. The workflow
 * re-throws it as its own non-retryable ApplicationFailure so that the workflow's
 * failure carries the code to the API.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { BUSINESS_ERROR_CODES, type ErrorCode } from '../domain/errors';

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
