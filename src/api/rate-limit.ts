/**
 * Per-environment rate limits whose counters live in Postgres, so the limit holds
 * across every API process. A steady rate (points per second) plus a burst allowance
 * (extra points per 10 s) approximates a token bucket: rate-limiter-flexible's
 * BurstyRateLimiter over two Postgres-stored fixed windows.
 *
 * Answers carry RateLimit-Limit / RateLimit-Remaining / RateLimit-Reset; a refusal is
 * 429 `rate_limited` with Retry-After. If the store itself fails the request goes on
 * (fail open): the route will meet the same database and answer 503 on its own.
 */
import type { RequestHandler } from 'express';
import { BurstyRateLimiter, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainError } from '../domain/errors';
import type { Pool } from '../db/pool';

export interface RateLimitOptions {
  /** Sustained requests per second per environment. */
  perSecond: number;
  /** Extra requests an environment may burst over 10 seconds. */
  burst: number;
}

const TABLE = 'rate_limits';

export function rateLimit(pool: Pool, opts: RateLimitOptions): RequestHandler {
  const common = { storeClient: pool, tableName: TABLE, tableCreated: true };
  const steady = new RateLimiterPostgres({ ...common, keyPrefix: 'rps', points: opts.perSecond, duration: 1 });
  const burst = new RateLimiterPostgres({ ...common, keyPrefix: 'burst', points: Math.max(opts.burst, 1), duration: 10 });
  const limiter = opts.burst > 0 ? new BurstyRateLimiter(steady, burst) : steady;

  return (req, res, next) => {
    const envId = res.locals.envId as string | undefined;
    if (!envId) return next();
    const setHeaders = (r: RateLimiterRes) => {
      res.setHeader('RateLimit-Limit', String(opts.perSecond));
      res.setHeader('RateLimit-Remaining', String(Math.max(0, r.remainingPoints)));
      res.setHeader('RateLimit-Reset', String(Math.ceil(r.msBeforeNext / 1000)));
    };
    limiter.consume(`env:${envId}`).then(
      (r) => {
        setHeaders(r);
        next();
      },
      (r: unknown) => {
        if (!(r instanceof RateLimiterRes)) return next(); // store failure: fail open
        setHeaders(r);
        const retryAfter = Math.max(1, Math.ceil(r.msBeforeNext / 1000));
        res.setHeader('Retry-After', String(retryAfter));
        next(new DomainError('rate_limited', `too many requests for environment ${envId}; retry in ${retryAfter} s`, { retry_after_seconds: retryAfter }));
      },
    );
  };
}
