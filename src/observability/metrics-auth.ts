/**
 * The optional bearer token on GET /metrics (API and worker): metrics name routes,
 * volumes and outcomes, which a public API port should not show to anyone. No token
 * configured: open, as Prometheus expects.
 */
import { bearerOf, tokenMatcher } from '../bearer-token';

/** Returns a check of an Authorization header value: true when it may read metrics. */
export function metricsAuthorizer(token: string | undefined): (authorization: string | undefined) => boolean {
  if (!token) return () => true;
  const matches = tokenMatcher(token);
  return (authorization) => matches(bearerOf(authorization));
}
