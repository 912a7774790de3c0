/**
 * createApp(deps) builds the Express app; main.ts listens. Tests build it with their
 * own pool and Temporal client and drive it with supertest.
 */
import express, { type RequestHandler } from 'express';
import type { Client } from '@temporalio/client';
import type { Pool } from '../db/pool';
import { authenticate } from './auth';
import { consoleRoutes } from './console/routes';
import { closeWhenShuttingDown, enterRequestContext, metricsRoutes, observability } from './observability';
import { docsRoutes } from './routes/docs';
import { createLogger, type Logger } from '../observability/logger';
import { errorHandler, notFoundHandler } from './errors';
import { parseJsonBody } from './json';
import { healthRoutes } from './routes/health';
import { movementRoutes } from './routes/movements';
import { orderRoutes } from './routes/orders';
import { walletRoutes } from './routes/wallets';
import type { TemporalDeps } from './temporal';

export interface AppDeps {
  pool: Pool;
  temporal: TemporalDeps & { client: Client };
  /** Logging, console and Web UI links; every field has a default so tests can omit it. */
  ops?: {
    logger?: Logger;
    operatorToken?: string;
    temporalUiUrl?: string;
    namespace?: string;
    /** True after SIGTERM: /readyz answers 503 (src/api/main.ts). */
    isShuttingDown?: () => boolean;
  };
}

export const BODY_LIMIT = '64kb';

/** Reads any body as bytes (whatever its Content-Type) and parses it exactly; see parseJsonBody. */
const jsonBody: RequestHandler[] = [
  express.raw({ type: () => true, limit: BODY_LIMIT }),
  (req, _res, next) => {
    if (!Buffer.isBuffer(req.body)) {
      req.body = {};
      return next();
    }
    try {
      req.body = parseJsonBody(req.body.toString('utf8'));
      next();
    } catch (err) {
      next(err);
    }
  },
];

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const ops = {
    logger: deps.ops?.logger ?? createLogger({ name: 'api' }),
    temporalUiUrl: deps.ops?.temporalUiUrl ?? 'http://localhost:8233',
    namespace: deps.ops?.namespace ?? 'default',
  };

  app.use(observability(ops)); // request id, JSON log line, request metrics
  app.use(closeWhenShuttingDown(deps.ops?.isShuttingDown));
  app.use(healthRoutes(deps.pool, deps.temporal.client, deps.ops?.isShuttingDown));
  app.use(metricsRoutes());
  app.use(docsRoutes());
  app.use(consoleRoutes({ pool: deps.pool, operatorToken: deps.ops?.operatorToken, ...ops }));
  app.use(jsonBody);
  app.use(enterRequestContext); // after the body parser: see its comment
  app.use('/wallet', authenticate(deps.pool));
  app.use(walletRoutes(deps.pool));
  app.use(movementRoutes(deps.pool, deps.temporal));
  app.use(orderRoutes(deps.pool));

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
