/**
 * Merchant authentication, two ways:
 *
 * - Bearer secret (the seed docs' way): `X-Wallet-Signature: <secret>`. Its SHA-256
 *   digest finds the environment; the stored digest is then compared in constant time.
 * - Signed mode, for merchants who do not want the secret on the wire:
 *   `X-Wallet-Env: <env_id>`, `X-Wallet-Timestamp: <unix seconds>` and
 *   `X-Wallet-Signature: v1=<hex HMAC-SHA256>` over `<timestamp>.<METHOD>.<path and query>.<raw body>`,
 *   keyed with SHA-256(secret) (the server keeps only that digest). Requests older or
 *   newer than 5 minutes are refused, so a captured request cannot be replayed later.
 *
 * Either way, a route that names an env_id other than the authenticated one answers
 * 403 (requireEnv).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { DomainError } from '../domain/errors';
import { isNumericId } from '../domain/ids';
import type { Pool } from '../db/pool';
import { findEnvironmentBySecretHash, findEnvironmentSecretHashes, hashSecret } from '../db/queries/environments';

const CACHE_TTL_MS = 5_000;
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** What a merchant computes in signed mode (exported for tests and docs). */
export function signRequest(secret: string, timestamp: number, method: string, pathAndQuery: string, rawBody: string): string {
  const key = hashSecret(secret);
  return 'v1=' + createHmac('sha256', key).update(`${timestamp}.${method.toUpperCase()}.${pathAndQuery}.${rawBody}`).digest('hex');
}

export function authenticate(pool: Pool): RequestHandler {
  // A short-lived cache of digest → environment saves a query per request; a rotated
  // or expired secret stops working within CACHE_TTL_MS.
  const cache = new Map<string, { envId: string; until: number }>();

  const bearer = async (secret: string): Promise<string> => {
    if (secret.length > 256) throw new DomainError('unauthorized', 'invalid X-Wallet-Signature');
    const digest = hashSecret(secret);
    const key = digest.toString('hex');
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) return hit.envId;
    const found = await findEnvironmentBySecretHash(pool, digest);
    if (!found || !timingSafeEqual(found.hash, digest)) throw new DomainError('unauthorized', 'invalid X-Wallet-Signature');
    if (cache.size > 10_000) cache.clear();
    cache.set(key, { envId: found.envId, until: Date.now() + CACHE_TTL_MS });
    return found.envId;
  };

  const signed = async (req: Request, res: Response, signature: string, timestampText: string): Promise<string> => {
    const envId = req.get('X-Wallet-Env') ?? '';
    if (!isNumericId(envId)) throw new DomainError('unauthorized', 'signed requests need X-Wallet-Env: <env_id>');
    if (!/^[0-9]{1,12}$/.test(timestampText)) throw new DomainError('unauthorized', 'X-Wallet-Timestamp must be unix seconds');
    const timestamp = Number(timestampText);
    if (Math.abs(Date.now() / 1000 - timestamp) > SIGNATURE_TOLERANCE_SECONDS) {
      throw new DomainError('unauthorized', `X-Wallet-Timestamp is more than ${SIGNATURE_TOLERANCE_SECONDS} s away from now`);
    }
    const given = Buffer.from(signature.slice(3), 'hex');
    const payload = `${timestamp}.${req.method}.${req.originalUrl}.${(res.locals.rawBody as string | undefined) ?? ''}`;
    for (const key of await findEnvironmentSecretHashes(pool, BigInt(envId).toString())) {
      const expected = createHmac('sha256', key).update(payload).digest();
      if (given.length === expected.length && timingSafeEqual(given, expected)) return BigInt(envId).toString();
    }
    throw new DomainError('unauthorized', 'invalid X-Wallet-Signature');
  };

  return (req, res, next) => {
    const signature = req.get('X-Wallet-Signature');
    if (!signature) return next(new DomainError('unauthorized', 'missing X-Wallet-Signature header'));
    const timestamp = req.get('X-Wallet-Timestamp');
    const check = timestamp !== undefined && signature.startsWith('v1=') ? signed(req, res, signature, timestamp) : bearer(signature);
    check.then((envId) => {
      res.locals.envId = envId;
      next();
    }, next);
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
