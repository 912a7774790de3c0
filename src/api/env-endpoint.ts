/**
 * The skeleton of every route that acts in one environment: validate (validate.ts) → the
 * environment the request names (`env_id` in its path, query or body) must be the one the
 * secret grants (403, requireEnv) → `run`, one service or query call and its presented
 * answer → that answer as JSON. Money POSTs add idempotency on top (money-endpoint.ts).
 */
import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { requireEnv } from './auth';
import { sendJson } from './json';
import { endpoint, type Parsed, type Schemas } from './validate';

/** Which of the request's parts (params, query, body) carries `env_id`: checked by tsc. */
export type EnvIn<S extends Schemas> = { [L in keyof S]-?: S[L] extends z.ZodType<{ env_id: string }> ? L : never }[keyof S];

export function envEndpoint<S extends Schemas>(
  schemas: S,
  envIn: EnvIn<S>,
  /** Returns the answer's body; a handler that answers itself (a CSV file, JSON text as stored) returns nothing. */
  run: (input: Parsed<S>, envId: string, req: Request, res: Response) => Promise<unknown>,
  options: { status?: number } = {},
): RequestHandler[] {
  return endpoint(schemas, async (input, req, res) => {
    const envId = requireEnv(res, (input[envIn as keyof Parsed<S>] as { env_id: string }).env_id);
    const body = await run(input, envId, req, res);
    if (!res.headersSent) sendJson(res, options.status ?? 200, body);
  });
}
