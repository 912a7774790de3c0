/**
 * HTTP middleware mounted first in createApp: a request id (the client's X-Request-Id
 * when it is sane, else a uuid; echoed back), one JSON log line per request (pino-http)
 * that names the workflow a money movement ran and links it in the Temporal Web UI,
 * and the request-duration histogram by route pattern. GET /metrics serves the registry.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router, type Request, type RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import { httpRequestDuration, registry } from '../observability/metrics';
import { workflowUrl, type Logger } from '../observability/logger';
import { requestContext, type RequestContext } from '../observability/request-context';
import { registerRoute } from './openapi';

registerRoute({
  method: 'get', path: '/metrics', tags: ['operations'], auth: 'none',
  summary: 'Prometheus metrics (requests by route and status, workflows, ledger postings, Stripe calls, webhooks, process)',
  responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain' } },
});

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export interface ObservabilityOptions {
  logger: Logger;
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

export function observability(opts: ObservabilityOptions): RequestHandler[] {
  const assignId: RequestHandler = (req, res, next) => {
    const given = req.get('X-Request-Id');
    const id = given && REQUEST_ID.test(given) ? given : randomUUID();
    (req as unknown as { id: string }).id = id;
    res.setHeader('X-Request-Id', id);
    res.locals.requestContext = { requestId: id } satisfies RequestContext;
    next();
  };
  const log = pinoHttp({
    logger: opts.logger,
    genReqId: (req: IncomingMessage) => (req as unknown as { id: string }).id,
    // Health checks and scrapes every few seconds would drown the log.
    autoLogging: { ignore: (req) => ['/healthz', '/readyz', '/metrics'].includes(req.url ?? '') },
    serializers: {
      req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: safeUrl(req.url),
        remote_address: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
    customProps: (_req, res) => {
      const ctx = contextOf(res);
      if (!ctx?.workflowId) return {};
      return {
        workflow_id: ctx.workflowId,
        workflow_type: ctx.workflowType,
        workflow_url: workflowUrl(opts.temporalUiUrl, opts.namespace, ctx.workflowId),
      };
    },
  });
  const measure: RequestHandler = (req, res, next) => {
    const end = httpRequestDuration.startTimer();
    res.once('finish', () => end({ method: req.method, route: routeLabel(req), status: String(res.statusCode) }));
    next();
  };
  return [assignId, log as unknown as RequestHandler, measure];
}

/**
 * Runs the rest of the request inside the request context, so runMovement can read
 * the request id. Mounted after the body parser: stream callbacks would lose it.
 */
export const enterRequestContext: RequestHandler = (_req, res, next) => {
  const ctx = (res.locals.requestContext as RequestContext | undefined) ?? { requestId: randomUUID() };
  requestContext.run(ctx, next);
};

export function metricsRoutes(): Router {
  const router = Router();
  router.get('/metrics', async (_req, res, next) => {
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
