/**
 * The one place where errors become HTTP. Every error body is
 * {"error": {"code", "message", "details"}}; a client's mistake is never a 500 and
 * no stack trace or secret leaves the process.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ApplicationFailure, ServiceError, WorkflowFailedError, isGrpcServiceError } from '@temporalio/client';
import { DomainError, ERROR_CATALOGUE, ERROR_CODES, isErrorCode, type ErrorCode } from '../domain/errors';
import { sendJson } from './json';
import { WorkflowUpdateFailedError } from '@temporalio/client';

/** Each code's HTTP status, as the catalogue gives it. */
export const HTTP_STATUS = Object.fromEntries(ERROR_CODES.map((code) => [code, ERROR_CATALOGUE[code].status])) as Record<ErrorCode, number>;

/** Postgres: connection refused/reset, admin shutdown, cannot connect now, too many clients. */
const PG_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08006']);
/** gRPC UNAVAILABLE and DEADLINE_EXCEEDED. */
const GRPC_UNAVAILABLE = new Set([14, 4]);

export function toDomainError(err: unknown): DomainError {
  if (err instanceof DomainError) return err;
  // A workflow's (or an update's) business failure carries the domain code as its type.
  if (err instanceof WorkflowFailedError || err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure && isErrorCode(cause.type)) {
      const details = (cause.details?.[0] as Record<string, unknown> | undefined) ?? {};
      return new DomainError(cause.type, cause.message, details);
    }
  }
  const e = err as { type?: string; code?: unknown; status?: number; message?: string; limit?: number };
  // body-parser's errors carry a `type` (and, when too large, the route's limit in bytes)
  if (e?.type === 'entity.too.large') {
    const limit = typeof e.limit === 'number' && e.limit >= 1024 * 1024 ? `${e.limit / (1024 * 1024)} MB` : '64 kB';
    return new DomainError('payload_too_large', `request body is larger than ${limit}`);
  }
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported' || e?.type === 'request.aborted') {
    return new DomainError('invalid_json', e.message ?? 'request body could not be read');
  }
  if (typeof e?.code === 'string' && PG_UNAVAILABLE.has(e.code)) {
    return new DomainError('unavailable', 'the database is unavailable, try again shortly');
  }
  // The client wraps gRPC errors in a ServiceError whose cause holds the status code.
  const grpc = err instanceof ServiceError ? err.cause : err;
  if (isGrpcServiceError(grpc) && GRPC_UNAVAILABLE.has(grpc.code)) {
    return new DomainError('unavailable', 'the workflow service is unavailable, try again shortly');
  }
  // Temporal refuses an update (or update-with-start) while the workflow's last task
  // failed or timed out and its retry is pending (a worker killed mid-task, a starved
  // machine): nothing was sent to the workflow, and the same request succeeds once the
  // task is retried. A 503 to retry with the same Idempotency-Key, not a 500.
  if (messages(err).some((m) => /Workflow Task in failed state/i.test(m))) {
    return new DomainError('unavailable', 'the workflow is retrying a failed task; try again shortly with the same Idempotency-Key');
  }
  if (e?.message && /Connection terminated|connect ECONNREFUSED|Client has encountered a connection error/.test(e.message)) {
    return new DomainError('unavailable', 'the database is unavailable, try again shortly');
  }
  return new DomainError('internal', 'internal error');
}

/** The messages of an error and its causes (bounded: a cause chain is short). */
function messages(err: unknown): string[] {
  const out: string[] = [];
  for (let c: unknown = err; c && out.length < 10; c = (c as { cause?: unknown }).cause) {
    const m = (c as { message?: unknown; details?: unknown }).message;
    if (typeof m === 'string') out.push(m);
    const d = (c as { details?: unknown }).details;
    if (typeof d === 'string') out.push(d);
  }
  return out;
}

/** The wire body of an error. */
export function errorBody(domain: DomainError) {
  return { error: { code: domain.code, message: domain.message, details: domain.details } };
}

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const domain = toDomainError(err);
  const status = HTTP_STATUS[domain.code];
  if (status >= 500 && domain.code !== 'unavailable' && domain.code !== 'provider_error') {
    // Log the error and the route only: bodies and headers can hold secrets.
    const log = res.locals.logger as { error: (obj: object, msg: string) => void } | undefined;
    const requestId = (res.locals.requestContext as { requestId?: string } | undefined)?.requestId;
    if (log) log.error({ err, route: req.path, req_id: requestId }, 'request failed');
    else console.error(`[api] ${req.method} ${req.path} failed:`, err instanceof Error ? err.stack ?? err.message : err);
  }
  if (status === 503) res.setHeader('Retry-After', '1');
  if (res.headersSent) return;
  sendJson(res, status, errorBody(domain));
};

export const notFoundHandler: RequestHandler = (req, res) => {
  sendJson(res, 404, { error: { code: 'not_found', message: `no route for ${req.method} ${req.path}`, details: {} } });
};
