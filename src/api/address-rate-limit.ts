/**
 * Per-client-address rate limit for the unauthenticated Stripe routes (`/stripe/connect/*`,
 * `/stripe/webhook`): nobody is authenticated there, so the budget is the caller's address
 * (`req.ip`: the socket's peer; behind a proxy that is the proxy unless Express's
 * `trust proxy` is set). The counters are rate-limiter-flexible's RateLimiterMemory: in
 * memory, per API process (N processes allow N times the budget), which is enough to stop
 * one browser or script from looping on a link; the per-withdrawal refresh bound is the
 * hard limit and holds across processes (it is counted in the database and the workflow).
 * A refusal is 429 `rate_limited` with Retry-After.
 */
import type { RequestHandler } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainError } from '../domain/errors';

export interface AddressRateLimitOptions {
  /** Requests allowed per window and address; 0 = no limit. */
  points: number;
  /** Window length in seconds. */
  durationSeconds: number;
  /** Names the limited routes in the error message. */
  what: string;
}

export function addressRateLimit(opts: AddressRateLimitOptions): RequestHandler {
  if (opts.points <= 0) return (_req, _res, next) => next();
  const limiter = new RateLimiterMemory({ keyPrefix: opts.what, points: opts.points, duration: opts.durationSeconds });
  return (req, res, next) => {
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    limiter.consume(address).then(
      () => next(),
      (r: unknown) => {
        if (!(r instanceof RateLimiterRes)) return next();
        const retryAfter = Math.max(1, Math.ceil(r.msBeforeNext / 1000));
        res.setHeader('Retry-After', String(retryAfter));
        next(new DomainError('rate_limited', `too many requests to ${opts.what} from this address; retry in ${retryAfter} s`, { retry_after_seconds: retryAfter }));
      },
    );
  };
}
