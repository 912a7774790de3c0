/**
 * Activities throw DomainErrors; Temporal carries failures, not classes. This turns a
 * business refusal into a non-retryable ApplicationFailure whose `type` is the stable
 * error code, so the workflow and then the API see the same code.
 *
 * Database errors are classified by SQLSTATE class:
 * - 22 (data exception: NUL in text, a value out of range), 23 (integrity constraint
 *   violation) and 42 (syntax error or access rule violation) say the statement can
 *   never succeed: non-retryable `database_error`, so the workflow fails at once
 *   instead of retrying the same statement forever;
 * - anything else (a serialization failure 40001, a deadlock 40P01, a lost or refused
 *   connection, an admin shutdown) is rethrown as is and retried by Temporal, within
 *   the step's retry budget (src/workflows/options.ts).
 */
import { ApplicationFailure } from '@temporalio/common';
import { DatabaseError } from 'pg';
import { BUSINESS_ERROR_CODES, DATABASE_ERROR, DomainError } from '../domain/errors';
/** SQLSTATE classes whose errors a retry cannot fix. */
const PERMANENT_SQLSTATE_CLASSES = new Set(['22', '23', '42']);

/** The SQLSTATE of a Postgres error (pg's DatabaseError), else null. */
function sqlState(err: unknown): string | null {
  if (err instanceof DatabaseError && typeof err.code === 'string') return err.code;
  return null;
}

export function isPermanentDatabaseError(err: unknown): boolean {
  const code = sqlState(err);
  return code !== null && PERMANENT_SQLSTATE_CLASSES.has(code.slice(0, 2));
}

export function toActivityFailure(err: unknown): unknown {
  if (err instanceof DomainError && BUSINESS_ERROR_CODES.includes(err.code)) {
    return ApplicationFailure.create({ type: err.code, message: err.message, details: [err.details], nonRetryable: true });
  }
  if (isPermanentDatabaseError(err)) {
    const e = err as DatabaseError;
    // The message names the SQLSTATE and Postgres's own words (no parameter values: pg
    // keeps those out of `message`); it shows in the Web UI, never to a client.
    return ApplicationFailure.create({
      type: DATABASE_ERROR,
      message: `Postgres refused the statement (SQLSTATE ${e.code}): ${e.message}`,
      details: [{ sqlstate: e.code }],
      nonRetryable: true,
      cause: e,
    });
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
