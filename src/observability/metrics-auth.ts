/**
 * The optional bearer token on GET /metrics (API and worker): metrics name routes,
 * volumes and outcomes, which a public API port should not show to anyone. Compared as
 * SHA-256 digests in constant time. No token configured: open, as Prometheus expects.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Returns a check of an Authorization header value: true when it may read metrics. */
export function metricsAuthorizer(token: string | undefined): (authorization: string | undefined) => boolean {
  if (!token) return () => true;
  const expected = digest(token);
  return (authorization) => {
    const given = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    return given !== undefined && timingSafeEqual(digest(given), expected);
  };
}
