/** Liveness (/healthz: the process answers) and readiness (/readyz: Postgres and Temporal answer). */
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Pool } from '../../db/pool';
import { sendJson } from '../json';

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
