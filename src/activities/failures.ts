/**
 * Activities throw DomainErrors; Temporal carries failures, not classes. This turns a
 * business refusal into a non-retryable ApplicationFailure whose `type` is the stable
 * error code, so the workflow and then the API see the same code. Anything else
 * (Postgres down, a deadlock) is rethrown as is and retried by Temporal.
 */
import { ApplicationFailure } from '@temporalio/common';
import { BUSINESS_ERROR_CODES, DomainError } from '../domain/errors';

export function toActivityFailure(err: unknown): unknown {
  if (err instanceof DomainError && BUSINESS_ERROR_CODES.includes(err.code)) {
    return ApplicationFailure.create({ type: err.code, message: err.message, details: [err.details], nonRetryable: true });
  }
  return err;
}

type ActivityFns = Record<string, (...args: never[]) => Promise<unknown>>;

/** Wraps every function of an activities object so that what it throws passes through `map` first. */
export function mapFailures<T extends ActivityFns>(activities: T, map: (err: unknown) => unknown): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw map(err);
      }
    };
  }
  return wrapped as T;
}

/** Wraps every function of an activities object with toActivityFailure. */
export function withFailureMapping<T extends ActivityFns>(activities: T): T {
  return mapFailures(activities, toActivityFailure);
}
