/** OpenAPI entries of routes/health.ts (registered by src/api/openapi.ts). */
import { registerRoute } from './registry';
import { z } from 'zod';

export function documentHealth(): void {
  const Checks = z.object({
    status: z.enum(['ready', 'unavailable', 'shutting_down']),
    checks: z.object({ postgres: z.enum(['ok', 'unavailable']), temporal: z.enum(['ok', 'unavailable']) }),
  });
  registerRoute({
    method: 'get', path: '/healthz', tags: ['operations'], auth: 'none', summary: 'Liveness: the process answers',
    responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok') }), example: { status: 'ok' } } },
  });
  registerRoute({
    method: 'get', path: '/readyz', tags: ['operations'], auth: 'none', summary: 'Readiness: Postgres and Temporal answer, and the process is not shutting down',
    responses: {
      200: { description: 'Ready', schema: Checks, example: { status: 'ready', checks: { postgres: 'ok', temporal: 'ok' } } },
      503: { description: 'Not ready', schema: Checks, example: { status: 'unavailable', checks: { postgres: 'ok', temporal: 'unavailable' } } },
    },
  });

}
