/**
 * HTTP middleware mounted first in createApp: a request id (the client's X-Request-Id
 * when it is sane, else a uuid; echoed back), one JSON log line per request
 * that names the workflow a money movement ran and links it in the Temporal Web UI,
 * and the request-duration histogram by route pattern. GET /metrics serves the registry.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { Router, type Request, type RequestHandler } from 'express';
import { DomainError } from '../domain/errors';
import { httpRequestDuration, registry } from '../observability/metrics';
import { metricsAuthorizer } from '../observability/metrics-auth';
import { workflowUrl, type Logger } from '../observability/logger';
import { requestContext, type RequestContext } from '../observability/request-context';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export interface ObservabilityOptions {
  /** The process logger: handed to the request (res.locals.logger) for its error lines. */
  logger: Logger;
  /** Where the "request completed" lines go (createAccessLogger: buffered); absent = `logger`. */
  accessLogger?: Logger;
  temporalUiUrl: string;
  namespace: string;
}

function contextOf(res: ServerResponse): RequestContext | undefined {
  return (res as unknown as { locals?: { requestContext?: RequestContext } }).locals?.requestContext;
}

/** The route pattern ("/wallet/:wallet_id/status"), never the raw path: bounded label values. */
function routeLabel(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  if (route && typeof route.path === 'string') return (req.baseUrl ?? '') + route.path;
  return 'unmatched';
}

/** Query strings may carry `token=` (console login): keep it out of logs. */
function safeUrl(url: string | undefined): string | undefined {
  return url?.replace(/([?&]token=)[^&]*/g, '$1[redacted]');
}

/** Health checks and scrapes every few seconds would drown the log. */
const UNLOGGED = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One middleware, one 'finish' listener per request for both the access log line and
 * the histogram. Written by hand rather than with pino-http: pino-http builds a child
 * logger per request (bindings, redaction set-up) even when the level is silent, which
 * measured 15% of the API's CPU on the read path (BENCHMARKS.md); this writes the same
 * line from the process logger only when the request ends.
 */
export function observability(opts: ObservabilityOptions): RequestHandler {
  const { logger } = opts;
  const access = opts.accessLogger ?? logger;
  return (req, res, next) => {
    const given = req.get('X-Request-Id');
    const id = given && REQUEST_ID.test(given) ? given : randomUUID();
    (req as unknown as { id: string }).id = id;
    res.setHeader('X-Request-Id', id);
    res.locals.requestContext = { requestId: id } satisfies RequestContext;
    res.locals.logger = logger;
    const started = process.hrtime.bigint();
    // `on`, not `once`: 'finish' is emitted once per response, and once() wraps the listener.
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      httpRequestDuration.observe({ method: req.method, route: routeLabel(req), status: String(res.statusCode) }, seconds);
      if (UNLOGGED.has(req.originalUrl.split('?', 1)[0]!)) return;
      const level = res.statusCode >= 500 ? 'error' : 'info';
      if (!access.isLevelEnabled(level)) return;
      const ctx = contextOf(res);
      access[level](
        {
          req: { id, method: req.method, url: safeUrl(req.originalUrl), remote_address: req.socket.remoteAddress },
          res: { status: res.statusCode },
          responseTime: Math.round(seconds * 1e4) / 10,
          ...(ctx?.workflowId
            ? {
                workflow_id: ctx.workflowId,
                workflow_type: ctx.workflowType,
                workflow_url: workflowUrl(opts.temporalUiUrl, opts.namespace, ctx.workflowId),
              }
            : {}),
        },
        'request completed',
      );
    });
    next();
  };
}

/**
 * Runs the rest of the request inside the request context, so runMovement can read
 * the request id. Mounted after the body parser: stream callbacks would lose it.
 */
export const enterRequestContext: RequestHandler = (_req, res, next) => {
  const ctx = (res.locals.requestContext as RequestContext | undefined) ?? { requestId: randomUUID() };
  requestContext.run(ctx, next);
};

export function metricsRoutes(token?: string): Router {
  const router = Router();
  const allowed = metricsAuthorizer(token);
  router.get('/metrics', async (req, res, next) => {
    if (!allowed(req.get('Authorization'))) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      next(new DomainError('unauthorized', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>'));
      return;
    }
    try {
      res.type(registry.contentType).send(await registry.metrics());
    } catch (err) {
      next(err);
    }
  });
  return router;
}

/**
 * After SIGTERM every response asks its client to close the connection, so keep-alive
 * clients reconnect to another instance instead of holding this one open.
 */
export function closeWhenShuttingDown(isShuttingDown: (() => boolean) | undefined): RequestHandler {
  return (_req, res, next) => {
    if (isShuttingDown?.()) res.setHeader('Connection', 'close');
    next();
  };
}
