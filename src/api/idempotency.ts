/**
 * First-class idempotency for every POST that moves money (topup, payment,
 * transfer, refund, withdraw):
 *
 * - no Idempotency-Key: the handler runs, nothing is stored;
 * - first request with a key: its row (environment, key, request hash) is inserted,
 *   the handler runs, and its final answer (2xx or 4xx) is stored as exact text;
 * - same key, same request, answer stored: that answer again, `Idempotent-Replayed: true`;
 * - same key, same request, first one still running: the handler runs too and
 *   attaches to the same workflow (the workflow id derives from key and hash),
 *   so it waits for that one's result and never starts a second movement;
 * - same key, different request: 409 idempotency_key_mismatch.
 *
 * The hash covers the method, the path (without trailing slash) and the *parsed*
 * body with sorted keys, so the seed's double-encoded body and a plain JSON body
 * with the same content hash alike. Numbers keep their text (100 ≠ 100.00 ≠ "100").
 * 5xx and 429 answers are not stored: a retry must be able to get the real result.
 */
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { isLosslessNumber, stringify } from 'lossless-json';
import { DomainError } from '../domain/errors';
import type { Pool } from '../db/pool';
import { claimKey, storeResponse } from '../db/queries/idempotency';
import { errorBody, HTTP_STATUS, toDomainError } from './errors';
import { sendJsonText } from './json';
import { assertIdempotencyKey } from '../temporal/start-workflow';

/** Spread into runMovement's request: the key and the request's hash, or neither. */
export interface Idempotency {
  idempotencyKey: string | undefined;
  requestHash?: string;
}

export interface Answer {
  status: number;
  body: unknown;
  workflowId?: string;
}

export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method.toUpperCase()}\n${normalPath(path)}\n${stringify(canonical(body))}`)
    .digest('hex');
}

function normalPath(path: string): string {
  return path.replace(/\/+$/, '') || '/';
}

/** Objects with sorted keys, recursively; numbers as their exact text. */
function canonical(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || isLosslessNumber(value)) return value;
  if (Array.isArray(value)) return value.map(canonical);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = canonical((value as Record<string, unknown>)[key]);
  return out;
}

function storable(status: number): boolean {
  return status < 500 && status !== 429;
}

export async function respondIdempotently(
  pool: Pool,
  req: Request,
  res: Response,
  envId: string,
  run: (idem: Idempotency) => Promise<Answer>,
): Promise<void> {
  const key = req.get('Idempotency-Key');
  if (key === undefined) return send(res, await run({ idempotencyKey: undefined }), false);
  assertIdempotencyKey(key);

  const path = normalPath(req.baseUrl + req.path);
  const hash = requestHash(req.method, path, req.body);
  const { row, inserted } = await claimKey(pool, { envId, key, requestHash: hash, method: req.method, path });
  if (row.requestHash !== hash) {
    throw new DomainError('idempotency_key_mismatch', 'this Idempotency-Key was used with a different request', {
      idempotency_key: key,
    });
  }
  if (row.responseStatus !== null && row.responseBody !== null) {
    if (row.workflowId) res.setHeader('Workflow-Id', row.workflowId);
    res.setHeader('Idempotent-Replayed', 'true');
    return sendJsonText(res, row.responseStatus, row.responseBody);
  }

  let answer: Answer;
  try {
    answer = await run({ idempotencyKey: key, requestHash: hash });
  } catch (err) {
    const domain = toDomainError(err);
    if (!storable(HTTP_STATUS[domain.code])) throw err;
    answer = { status: HTTP_STATUS[domain.code], body: errorBody(domain) };
  }
  const text = stringify(answer.body)!;
  if (storable(answer.status)) {
    await storeResponse(pool, { envId, key, workflowId: answer.workflowId ?? null, status: answer.status, body: text });
  }
  // A request that found the key already claimed (a concurrent twin) answers the
  // same result and says it is a replay.
  sendAnswer(res, answer, text, !inserted);
}

function send(res: Response, answer: Answer, replayed: boolean): void {
  sendAnswer(res, answer, stringify(answer.body)!, replayed);
}

function sendAnswer(res: Response, answer: Answer, text: string, replayed: boolean): void {
  if (answer.workflowId) res.setHeader('Workflow-Id', answer.workflowId);
  if (replayed) res.setHeader('Idempotent-Replayed', 'true');
  sendJsonText(res, answer.status, text);
}
