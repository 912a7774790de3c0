/**
 * Merchant authentication, two ways:
 *
 * - Bearer secret (the seed docs' way): `X-Wallet-Signature: <secret>`. Its SHA-256
 *   digest finds the environment; the stored digest is then compared in constant time.
 *   A secret whose row has no (usable) sealed signing key yet gets one here: the
 *   migration path of secrets made before signed mode v2.
 * - Signed mode (v2), for merchants who do not want the secret on the wire:
 *   `X-Wallet-Env: <env_id>`, `X-Wallet-Timestamp: <unix seconds>`, `Idempotency-Key` (required
 *   on POST) and `X-Wallet-Signature: v2=<hex HMAC-SHA256>` over
 *   `<timestamp>\n<METHOD>\n<path and query>\n<Idempotency-Key or empty>\n<raw body>`, keyed with
 *   the signing key HMAC-SHA256("paynocchio-signing-key-v2", secret) (src/signing-keys.ts),
 *   which the server keeps sealed under SECRETS_PEPPER. Requests more than 5 minutes from the
 *   server's clock are refused, and each signature is accepted once (table `seen_signatures`):
 *   a captured request cannot be replayed, with or without another Idempotency-Key.
 *   `v1=` signatures (keyed with the stored lookup digest) are refused.
 *
 * Failed attempts are counted per client address in memory: past the threshold the address
 * gets 429 `rate_limited` before any database query (a bearer secret that authenticated
 * within the window still passes: an attacker sharing the address cannot lock it out).
 *
 * Either way, a route that names an env_id other than the authenticated one answers
 * 403 (requireEnv).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { DomainError } from '../domain/errors';
import { isNumericId } from '../domain/ids';
import type { Pool } from '../db/pool';
import {
  findEnvironmentBySecretHash,
  findEnvironmentSigningKeys,
  hashSecret,
  recordSignature,
  storeSigningKey,
} from '../db/queries/environments';
import { signingKeyCipher, signingKeyOf } from '../signing-keys';
import { clientAddressKey } from './address-rate-limit';

const CACHE_TTL_MS = 5_000;
export const SIGNATURE_TOLERANCE_SECONDS = 300;
/** A seen signature is kept this long past its timestamp (the window, plus clock skew between API processes). */
const SEEN_SIGNATURE_KEEP_SECONDS = 2 * SIGNATURE_TOLERANCE_SECONDS;

/** The string a signed request signs (v2). Newlines cannot occur in any part but the body, which comes last. */
export function signedPayload(timestamp: number | string, method: string, pathAndQuery: string, idempotencyKey: string, rawBody: string): string {
  return `${timestamp}\n${method.toUpperCase()}\n${pathAndQuery}\n${idempotencyKey}\n${rawBody}`;
}

/** What a merchant computes in signed mode (exported for tests; README has the same in Python). */
export function signRequest(
  secret: string,
  timestamp: number,
  method: string,
  pathAndQuery: string,
  rawBody: string,
  idempotencyKey = '',
): string {
  const payload = signedPayload(timestamp, method, pathAndQuery, idempotencyKey, rawBody);
  return 'v2=' + createHmac('sha256', signingKeyOf(secret)).update(payload).digest('hex');
}

export interface AuthOptions {
  /** SECRETS_PEPPER: seals signing keys. Absent: signed mode is refused and nothing is sealed. */
  secretsPepper?: string;
  /** Failed attempts allowed per client address per window; absent or 0 = no throttle. */
  failureThrottle?: { failures: number; windowSeconds: number };
}

const refuse = (message: string, details: Record<string, unknown> = {}) => new DomainError('unauthorized', message, details);

export function authenticate(pool: Pool, opts: AuthOptions = {}): RequestHandler {
  // A short-lived cache of digest → environment saves a query per request; a rotated
  // or expired secret stops working within CACHE_TTL_MS.
  const cache = new Map<string, { envId: string; until: number }>();
  // Digests that authenticated within the throttle's window. Such a secret skips the
  // throttle (it is still looked up: rotation and expiry hold), so an address shared with
  // an attacker (a NAT, a platform's egress) cannot lock a merchant out by failing on
  // purpose, and nobody can use this without holding a valid secret.
  const knownGood = new Map<string, number>();
  const knownGoodMs = (opts.failureThrottle?.windowSeconds ?? 60) * 1000;
  const cipher = opts.secretsPepper ? signingKeyCipher(opts.secretsPepper) : null;
  const throttle =
    opts.failureThrottle && opts.failureThrottle.failures > 0
      ? {
          limit: opts.failureThrottle.failures,
          limiter: new RateLimiterMemory({ keyPrefix: 'auth-fail', points: opts.failureThrottle.failures, duration: opts.failureThrottle.windowSeconds }),
        }
      : null;

  /** Throws 429 when this address has failed too often; called before any database query. */
  const notThrottled = async (addressOf: () => string): Promise<void> => {
    if (!throttle) return;
    const state = await throttle.limiter.get(addressOf());
    if (state && state.consumedPoints >= throttle.limit) {
      const retryAfter = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
      throw new DomainError('rate_limited', `too many failed authentication attempts from this address; retry in ${retryAfter} s`, {
        retry_after_seconds: retryAfter,
      });
    }
  };

  const bearer = async (secret: string, address: () => string): Promise<string> => {
    if (secret.length > 256) throw refuse('invalid X-Wallet-Signature');
    const digest = hashSecret(secret);
    const key = digest.toString('hex');
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) return hit.envId;
    if ((knownGood.get(key) ?? 0) <= Date.now()) await notThrottled(address);
    const found = await findEnvironmentBySecretHash(pool, digest);
    if (!found || !timingSafeEqual(found.hash, digest)) throw refuse('invalid X-Wallet-Signature');
    if (knownGood.size > 10_000) knownGood.clear();
    knownGood.set(key, Date.now() + knownGoodMs);
    // Migration path: a secret made before signing keys (or sealed under a former pepper)
    // gets its sealed signing key now that the server holds the secret for a moment.
    if (cipher && (!found.signingKeyEnc || !cipher.open(digest, found.signingKeyEnc))) {
      await storeSigningKey(pool, digest, cipher.seal(digest, signingKeyOf(secret)));
    }
    if (cache.size > 10_000) cache.clear();
    cache.set(key, { envId: found.envId, until: Date.now() + CACHE_TTL_MS });
    return found.envId;
  };

  const signed = async (req: Request, res: Response, signature: string, timestampText: string, address: () => string): Promise<string> => {
    if (signature.startsWith('v1=')) {
      throw refuse('v1 signatures (keyed with the SHA-256 of the secret) are no longer accepted: sign with v2 (README: Signed requests)');
    }
    if (!/^v2=[0-9a-f]{64}$/i.test(signature)) throw refuse('X-Wallet-Signature must be v2=<64 hex digits> in signed mode');
    const envHeader = req.get('X-Wallet-Env') ?? '';
    if (!isNumericId(envHeader)) throw refuse('signed requests need X-Wallet-Env: <env_id>');
    const envId = BigInt(envHeader).toString();
    if (!/^[0-9]{1,12}$/.test(timestampText)) throw refuse('X-Wallet-Timestamp must be unix seconds');
    const timestamp = Number(timestampText);
    if (Math.abs(Date.now() / 1000 - timestamp) > SIGNATURE_TOLERANCE_SECONDS) {
      throw refuse(`X-Wallet-Timestamp is more than ${SIGNATURE_TOLERANCE_SECONDS} s away from now`);
    }
    const idempotencyKey = req.get('Idempotency-Key');
    if (req.method === 'POST' && !idempotencyKey) {
      throw refuse('signed POST requests need an Idempotency-Key header (it is part of the signed string)', { header: 'Idempotency-Key' });
    }
    if (!cipher) throw refuse('signed mode is not enabled on this server (no SECRETS_PEPPER)');
    await notThrottled(address);
    const given = Buffer.from(signature.slice(3), 'hex');
    const payload = signedPayload(timestamp, req.method, req.originalUrl, idempotencyKey ?? '', (res.locals.rawBody as string | undefined) ?? '');
    const secrets = await findEnvironmentSigningKeys(pool, envId);
    let usable = 0;
    for (const row of secrets) {
      const key = row.signingKeyEnc && cipher.open(row.hash, row.signingKeyEnc);
      if (!key) continue;
      usable++;
      const expected = createHmac('sha256', key).update(payload).digest();
      if (!timingSafeEqual(given, expected)) continue;
      if (!(await recordSignature(pool, envId, given, timestamp + SEEN_SIGNATURE_KEEP_SECONDS))) {
        throw new DomainError('replayed_signature', 'this signed request was already accepted: sign each request (and each retry) anew', {});
      }
      return envId;
    }
    if (secrets.length && !usable) {
      throw refuse(
        "this environment's secrets have no signing key yet: send one request with the secret itself in X-Wallet-Signature (bearer mode), or rotate the secret, then sign",
        { reason: 'signing_key_missing' },
      );
    }
    throw refuse('invalid X-Wallet-Signature');
  };

  return (req, res, next) => {
    const signature = req.get('X-Wallet-Signature');
    if (!signature) return next(refuse('missing X-Wallet-Signature header'));
    // Per /64 for IPv6 (one client holds a whole /64), IPv4-mapped as IPv4. Worked out only
    // when the throttle needs it: a cached secret (almost every request) never does.
    let addressKey: string | undefined;
    const address = () => (addressKey ??= clientAddressKey(req));
    const timestamp = req.get('X-Wallet-Timestamp');
    const check =
      timestamp !== undefined && /^v[0-9]+=/.test(signature) ? signed(req, res, signature, timestamp, address) : bearer(signature, address);
    check.then(
      (envId) => {
        res.locals.envId = envId;
        next();
      },
      (err: unknown) => {
        if (err instanceof DomainError && err.code === 'rate_limited') res.setHeader('Retry-After', String(err.details.retry_after_seconds));
        const failed = err instanceof DomainError && (err.code === 'unauthorized' || err.code === 'replayed_signature');
        if (!failed || !throttle) return next(err);
        throttle.limiter.penalty(address(), 1).then(
          () => next(err),
          () => next(err),
        );
      },
    );
  };
}

/** The authenticated environment must be the one the request names. */
export function requireEnv(res: Response, envId: string): string {
  const authenticated = res.locals.envId as string | undefined;
  if (authenticated !== envId) {
    throw new DomainError('forbidden', `this secret does not grant access to environment ${envId}`);
  }
  return envId;
}
