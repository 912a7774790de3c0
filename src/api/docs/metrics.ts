/** OpenAPI entries of observability.ts (registered by src/api/openapi.ts). */
import { registerRoute } from './registry';

export function documentMetrics(): void {
  registerRoute({
    method: 'get', path: '/metrics', tags: ['operations'], auth: 'none',
    summary: 'Prometheus metrics (requests by route and status, workflows, ledger postings, Stripe calls, webhooks, process)',
    description: 'Open unless METRICS_TOKEN is set; then `Authorization: Bearer <METRICS_TOKEN>` is required.',
    responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain' }, 401: { description: 'METRICS_TOKEN is set and the bearer token is missing or wrong' } },
  });

}
