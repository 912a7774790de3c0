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
import type { Request, RequestHandler } from 'express';
import ipaddr from 'ipaddr.js';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainError } from '../domain/errors';

/**
 * The key a per-address budget is counted under. One IPv6 client holds a whole /64 (a
 * home line or a cloud VM gets 2^64 addresses), so counting per /128 would give it a
 * fresh budget per request: IPv6 addresses are counted per /64. An IPv4-mapped IPv6
 * address (`::ffff:a.b.c.d`, what a dual-stack socket reports for IPv4 peers) counts as
 * its IPv4 address. Anything that does not parse is its own key.
 */
export function addressKey(address: string): string {
  const text = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (!ipaddr.isValid(text)) return address;
  let ip = ipaddr.parse(text);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  if (ip.kind() === 'ipv4') return ip.toString();
  const parts = (ip as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(':')}::/64`;
}

/** The request's client address as a budget key (see addressKey). */
export function clientAddressKey(req: Request): string {
  return addressKey(req.ip ?? req.socket.remoteAddress ?? 'unknown');
}

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
    limiter.consume(clientAddressKey(req)).then(
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
