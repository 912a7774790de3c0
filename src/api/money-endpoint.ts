/**
 * The one skeleton of every POST that may move money (topup, payment, transfer, refund,
 * withdraw, schedule, batch, an authorization's capture and void): validate the body (and path) → the authenticated environment must be the
 * body's `env_id` (403) → idempotency (Idempotency-Key + request hash: replay, 409,
 * attach; src/api/idempotency.ts) → `run`, which calls one service and presents its
 * result. Ownership, amounts and the workflow start live in the service (src/services/).
 */
import type { RequestHandler } from 'express';
import type { z } from 'zod';
import type { Pool } from '../db/pool';
import { requireEnv } from './auth';
import { respondIdempotently, type Answer, type Idempotency } from './idempotency';
import { endpoint } from './validate';

export function moneyEndpoint<B extends z.ZodType<{ env_id: string }>, P extends z.ZodType<Record<string, string>> = z.ZodType<Record<string, never>>>(
  pool: Pool,
  body: B,
  run: (body: z.infer<B>, envId: string, idem: Idempotency, params: z.infer<P>) => Promise<Answer>,
  /** Path parameters (e.g. an order's capture: `order_id`), validated with the body. */
  params?: P,
): RequestHandler[] {
  return endpoint(params ? { body, params } : { body }, async (input, req, res) => {
    const parsed = input.body as z.infer<B>;
    const path = ('params' in input ? input.params : {}) as z.infer<P>;
    const envId = requireEnv(res, parsed.env_id);
    await respondIdempotently(pool, req, res, envId, (idem) => run(parsed, envId, idem, path));
  });
}

/** A movement's answer: 200, its workflow id (the `Workflow-Id` header) and the presented body. */
export function movementAnswer(workflowId: string, body: unknown): Answer {
  return { status: 200, workflowId, body };
}
