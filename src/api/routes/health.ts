/** Liveness (/healthz: the process answers) and readiness (/readyz: Postgres and Temporal answer). */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Pool } from '../../db/pool';
import { sendJson } from '../json';
import { registerRoute } from '../openapi';
import { z } from 'zod';

registerRoute({
  method: 'get', path: '/healthz', tags: ['operations'], auth: 'none', summary: 'Liveness: the process answers',
  responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok') }), example: { status: 'ok' } } },
});
const Checks = z.object({
  status: z.enum(['ready', 'unavailable', 'shutting_down']),
  checks: z.object({ postgres: z.enum(['ok', 'unavailable']), temporal: z.enum(['ok', 'unavailable']) }),
});
registerRoute({
  method: 'get', path: '/readyz', tags: ['operations'], auth: 'none', summary: 'Readiness: Postgres and Temporal answer, and the process is not shutting down',
  responses: {
    200: { description: 'Ready', schema: Checks, example: { status: 'ready', checks: { postgres: 'ok', temporal: 'ok' } } },
    503: { description: 'Not ready', schema: Checks, example: { status: 'unavailable', checks: { postgres: 'ok', temporal: 'unavailable' } } },
  },
});

const CHECK_TIMEOUT_MS = 2_000;

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);
}

async function check(fn: () => Promise<unknown>): Promise<'ok' | 'unavailable'> {
  try {
    await within(fn(), CHECK_TIMEOUT_MS);
    return 'ok';
  } catch {
    return 'unavailable';
  }
}

/** isShuttingDown: after SIGTERM /readyz answers 503 so load balancers stop sending traffic. */
export function healthRoutes(pool: Pool, temporal: Client, isShuttingDown: () => boolean = () => false): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
  router.get('/readyz', async (_req, res) => {
    const [postgres, temporalStatus] = await Promise.all([
      check(() => pool.query('select 1')),
      check(() => temporal.workflowService.getSystemInfo({})),
    ]);
    const ready = postgres === 'ok' && temporalStatus === 'ok' && !isShuttingDown();
    const status = isShuttingDown() ? 'shutting_down' : ready ? 'ready' : 'unavailable';
    sendJson(res, ready ? 200 : 503, { status, checks: { postgres, temporal: temporalStatus } });
  });
  return router;
}
