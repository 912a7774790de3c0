/**
 * Merchant authentication: the X-Wallet-Signature header carries the environment's
 * secret (as the seed shows). Its SHA-256 digest finds the environment; the stored
 * digest is then compared in constant time. A route that names an env_id other than
 * the authenticated one answers 403 (requireEnv).
 */
import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { DomainError } from '../domain/errors';
import type { Pool } from '../db/pool';
import { findEnvironmentBySecretHash, hashSecret } from '../db/queries/environments';

const CACHE_TTL_MS = 5_000;

export function authenticate(pool: Pool): RequestHandler {
  // A short-lived cache of digest → environment saves a query per request; a rotated
  // or expired secret stops working within CACHE_TTL_MS.
  const cache = new Map<string, { envId: string; until: number }>();
  return (req, res, next) => {
    const secret = req.get('X-Wallet-Signature');
    if (!secret) return next(new DomainError('unauthorized', 'missing X-Wallet-Signature header'));
    if (secret.length > 256) return next(new DomainError('unauthorized', 'invalid X-Wallet-Signature'));
    const digest = hashSecret(secret);
    const key = digest.toString('hex');
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) {
      res.locals.envId = hit.envId;
      return next();
    }
    findEnvironmentBySecretHash(pool, digest)
      .then((found) => {
        if (!found || !timingSafeEqual(found.hash, digest)) throw new DomainError('unauthorized', 'invalid X-Wallet-Signature');
        if (cache.size > 10_000) cache.clear();
        cache.set(key, { envId: found.envId, until: Date.now() + CACHE_TTL_MS });
        res.locals.envId = found.envId;
        next();
      })
      .catch(next);
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
