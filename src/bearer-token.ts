/**
 * Checking a configured token (OPERATOR_TOKEN for /console, METRICS_TOKEN for /metrics):
 * compared as SHA-256 digests, so lengths never leak and timingSafeEqual always gets
 * equal-length buffers.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** A constant-time check of a presented value against `token`. */
export function tokenMatcher(token: string): (given: string | undefined) => boolean {
  const expected = digest(token);
  return (given) => given !== undefined && timingSafeEqual(digest(given), expected);
}

/** The token of an `Authorization: Bearer <token>` header value. */
export function bearerOf(authorization: string | undefined): string | undefined {
  return /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
}
