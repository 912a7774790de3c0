/**
 * The one skeleton of every POST that may move money (topup, payment, transfer, refund,
 * withdraw, schedule, batch, an authorization's capture and void): validate the body (and path) → the authenticated environment must be the
 * body's `env_id` (403; env-endpoint.ts) → idempotency (Idempotency-Key + request hash: replay, 409,
 * attach; src/api/idempotency.ts) → `run`, which calls one service and presents its
 * result. Ownership, amounts and the workflow start live in the service (src/services/).
 */
import type { RequestHandler } from 'express';
import type { z } from 'zod';
import type { Pool } from '../db/pool';
import type { WalletRequest } from '../services/movements';
import { envEndpoint } from './env-endpoint';
import { respondIdempotently, type Answer, type Idempotency } from './idempotency';

export function moneyEndpoint<B extends z.ZodType<{ env_id: string }>, P extends z.ZodType<Record<string, string>> = z.ZodType<Record<string, never>>>(
  pool: Pool,
  body: B,
  run: (body: z.infer<B>, envId: string, idem: Idempotency, params: z.infer<P>) => Promise<Answer>,
  /** Path parameters (e.g. an order's capture: `order_id`), validated with the body. */
  params?: P,
): RequestHandler[] {
  const schemas: { body: z.ZodType<{ env_id: string }>; params?: P } = params ? { body, params } : { body };
  return envEndpoint(schemas, 'body', async (input, envId, req, res) => {
    const path = (input.params ?? {}) as z.infer<P>;
    await respondIdempotently(pool, req, res, envId, (idem) => run(input.body as z.infer<B>, envId, idem, path));
  });
}

/** A movement's answer: 200, its workflow id (the `Workflow-Id` header) and the presented body. */
export function movementAnswer(workflowId: string, body: unknown): Answer {
  return { status: 200, workflowId, body };
}

/** The user's wallet and amount a topup, payment, transfer or withdraw body names, as its service takes them. */
export function walletRequest(body: { user_id: string; wallet_id: string; amount: string }, envId: string): WalletRequest {
  return { envId, userId: body.user_id, walletId: body.wallet_id, amount: body.amount };
}
