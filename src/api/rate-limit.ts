/**
 * Per-environment rate limits that hold across every API process without a database
 * write per request: each process keeps a token bucket per environment and leases
 * tokens for it from the environment's budget in Postgres in blocks (one UPDATE of the
 * environment's `rate_limits` row per block, not per request).
 *
 * The budget: `perSecond` tokens per window of one second (the window starts at the
 * first lease after the last one ended, like rate-limiter-flexible's fixed windows), and
 * when those are gone, `burst` extra tokens per window of ten seconds. A lease asks for
 * `block` tokens (perSecond / 20, at least 1) and gets what is left of the window, up to
 * that; leased tokens are spent only until their window ends, then dropped. So, per
 * window, all processes together admit at most the budget, and at least the budget minus
 * one block per process (tokens a process leased and did not use before the window
 * ended). Window ends are taken from the database's clock, so processes' clocks need not
 * agree. README (Rate limits) states this tolerance.
 *
 * When both windows are empty the process refuses locally until the one-second window
 * ends (no write per refused request either). Answers carry RateLimit-Limit /
 * RateLimit-Remaining (what the environment had left at the last lease plus this
 * process's unspent tokens) / RateLimit-Reset; a refusal is 429 `rate_limited` with
 * Retry-After. If the store fails the request goes on (fail open): the route will meet
 * the same database and answer 503 on its own.
 */
import type { RequestHandler } from 'express';
import { DomainError } from '../domain/errors';
import type { Pool } from '../db/pool';

export interface RateLimitOptions {
  /** Sustained requests per second per environment. */
  perSecond: number;
  /** Extra requests an environment may burst over 10 seconds. */
  burst: number;
  /** Tokens leased at once (default perSecond / 20, at least 1). */
  block?: number;
}

const STEADY_MS = 1_000;
const BURST_MS = 10_000;

interface Bucket {
  tokens: number;
  /** Local clock (ms) when the leased tokens' window ends. */
  expiresAt: number;
  /** The environment's tokens left in the window at the last lease (all processes). */
  left: number;
  /** Refuse without asking Postgres until then (both windows empty). */
  deniedUntil: number;
  pending: Promise<void> | null;
  /** The last lease failed: admit (fail open) until then. */
  openUntil: number;
}

interface Lease {
  granted: number;
  left: number;
  /** Local ms until the window ends. */
  msLeft: number;
}

export interface Decision {
  ok: boolean;
  /** Estimate of the environment's tokens left. */
  remaining: number;
  /** Ms until the current window ends (Retry-After on a refusal). */
  resetMs: number;
  /** The store failed: admitted without a count. */
  failedOpen?: boolean;
}

export class LeasedRateLimiter {
  readonly block: number;
  /** Leases asked of Postgres (each one UPDATE): for tests and metrics. */
  leases = 0;
  private readonly buckets = new Map<string, Bucket>();
  private readonly created = new Set<string>();

  constructor(
    private readonly pool: Pool,
    readonly opts: RateLimitOptions,
  ) {
    this.block = Math.max(1, Math.floor(opts.block ?? Math.ceil(opts.perSecond / 20)));
  }

  private bucket(envId: string): Bucket {
    let bucket = this.buckets.get(envId);
    if (!bucket) {
      bucket = { tokens: 0, expiresAt: 0, left: this.opts.perSecond, deniedUntil: 0, pending: null, openUntil: 0 };
      this.buckets.set(envId, bucket);
    }
    return bucket;
  }

  /** The decision from this process's bucket alone, or null when it needs a lease first. */
  private decideNow(bucket: Bucket): Decision | null {
    const now = Date.now();
    if (bucket.tokens > 0 && now < bucket.expiresAt) {
      bucket.tokens--;
      return { ok: true, remaining: bucket.left + bucket.tokens, resetMs: bucket.expiresAt - now };
    }
    if (now < bucket.deniedUntil) return { ok: false, remaining: 0, resetMs: bucket.deniedUntil - now };
    if (now < bucket.openUntil) return { ok: true, remaining: 0, resetMs: 0, failedOpen: true };
    return null;
  }

  /**
   * Without waiting: the decision when the bucket can make it (almost every request: one
   * lease serves `block` of them), or null when a lease is needed (then `take`). Saves a
   * promise and a microtask hop per request on the hot path.
   */
  takeNow(envId: string): Decision | null {
    return this.decideNow(this.bucket(envId));
  }

  async take(envId: string): Promise<Decision> {
    const bucket = this.bucket(envId);
    for (;;) {
      const now = this.decideNow(bucket);
      if (now) return now;
      if (!bucket.pending) {
        const b = bucket;
        b.pending = this.refill(envId, b).finally(() => (b.pending = null));
      }
      await bucket.pending;
    }
  }

  private async refill(envId: string, bucket: Bucket): Promise<void> {
    try {
      let lease = await this.lease(`lease:env:${envId}`, this.opts.perSecond, STEADY_MS);
      const steady = lease;
      if (lease.granted === 0 && this.opts.burst > 0) lease = await this.lease(`lease-burst:env:${envId}`, this.opts.burst, BURST_MS);
      const now = Date.now();
      bucket.tokens = lease.granted;
      bucket.expiresAt = now + lease.msLeft;
      bucket.left = steady.left + (lease === steady ? 0 : lease.left);
      if (lease.granted === 0) bucket.deniedUntil = now + steady.msLeft;
    } catch {
      // Fail open for a moment, so a store outage does not cost a failed query per request.
      bucket.openUntil = Date.now() + 1_000;
    }
  }

  /** One UPDATE: take up to `block` of what is left in the key's window (a new window when the last one ended). */
  private async lease(key: string, limit: number, windowMs: number): Promise<Lease> {
    this.leases++;
    for (let attempt = 0; ; attempt++) {
      if (!this.created.has(key)) {
        await this.pool.query('insert into rate_limits (key, points, expire) values ($1, 0, 0) on conflict (key) do nothing', [key]);
        this.created.add(key);
      }
      const { rows } = await this.pool.query<{ granted: number; points: number; ms_left: string }>(
        `with now as (select (extract(epoch from clock_timestamp()) * 1000)::bigint as ms),
         cur as (
           select r.key, case when r.expire <= now.ms then 0 else r.points end as used,
                  case when r.expire <= now.ms then now.ms + $4::bigint else r.expire end as ends, now.ms
           from rate_limits r, now where r.key = $1 for update of r
         )
         update rate_limits r set points = cur.used + least($2::int, greatest(0, $3::int - cur.used)), expire = cur.ends
         from cur where r.key = cur.key
         returning r.points - cur.used as granted, r.points, (cur.ends - cur.ms)::text as ms_left`,
        [key, this.block, limit, windowMs],
      );
      const row = rows[0];
      if (!row) {
        // The row went away (an operator cleared the table): create it again, once.
        this.created.delete(key);
        if (attempt === 0) continue;
        throw new Error(`rate_limits row ${key} missing`);
      }
      return { granted: row.granted, left: Math.max(0, limit - row.points), msLeft: Number(row.ms_left) };
    }
  }
}

export function rateLimit(pool: Pool, opts: RateLimitOptions | LeasedRateLimiter): RequestHandler {
  const limiter = opts instanceof LeasedRateLimiter ? opts : new LeasedRateLimiter(pool, opts);
  const perSecond = String(limiter.opts.perSecond);

  return (req, res, next) => {
    const envId = res.locals.envId as string | undefined;
    if (!envId) return next();
    const answer = (d: Decision) => {
      if (d.failedOpen) return next();
      res.setHeader('RateLimit-Limit', perSecond);
      res.setHeader('RateLimit-Remaining', String(Math.max(0, d.remaining)));
      res.setHeader('RateLimit-Reset', String(Math.ceil(d.resetMs / 1000)));
      if (d.ok) return next();
      const retryAfter = Math.max(1, Math.ceil(d.resetMs / 1000));
      res.setHeader('Retry-After', String(retryAfter));
      next(new DomainError('rate_limited', `too many requests for environment ${envId}; retry in ${retryAfter} s`, { retry_after_seconds: retryAfter }));
    };
    const now = limiter.takeNow(envId);
    if (now) return answer(now);
    limiter.take(envId).then(answer, next);
  };
}
