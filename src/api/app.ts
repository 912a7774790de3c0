/**
 * createApp(deps) builds the Express app; main.ts listens. Tests build it with their
 * own pool and Temporal client and drive it with supertest.
 */
import express, { type RequestHandler } from 'express';
import type { Client } from '@temporalio/client';
import type { Pool } from '../db/pool';
import { authenticate, type AuthOptions } from './auth';
import { consoleRoutes } from './console/routes';
import { closeWhenShuttingDown, enterRequestContext, metricsRoutes, observability } from './observability';
import { docsRoutes } from './routes/docs';
import { createLogger, type Logger } from '../observability/logger';
import { errorHandler, notFoundHandler } from './errors';
import { parseJsonBody } from './json';
import { healthRoutes } from './routes/health';
import { historyRoutes } from './routes/history';
import { statementRoutes } from './routes/statements';
import { eventRoutes } from './routes/events';
import { ledgerRoutes } from './routes/ledger';
import { topupPaymentRoutes } from './routes/topups-payments';
import { cardTopupRoutes } from './routes/card-topups';
import type { CardTopupSettings } from '../services/card-topups';
import { orderRoutes } from './routes/orders';
import { refundRoutes } from './routes/refunds';
import { authorizationRoutes } from './routes/authorizations';
import { transferRoutes } from './routes/transfers';
import { batchRoutes } from './routes/batch';
import { limitRoutes } from './routes/limits';
import { feeRoutes } from './routes/fees';
import { monitorRoutes } from './routes/monitors';
import { walletRoutes } from './routes/wallets';
import { webhookRoutes, type WebhookPolicy } from './routes/webhooks';
import { LeasedRateLimiter, rateLimit, type RateLimitOptions } from './rate-limit';
import { addressRateLimit } from './address-rate-limit';
import type { TemporalDeps } from './temporal';
import { stripeConnectRoutes } from './routes/stripe-connect';
import { stripeWebhookRoutes, type StripeDeps } from './routes/stripe-webhook';
import { withdrawalRoutes } from './routes/withdrawals';
import type { WithdrawWaits } from '../services/withdrawals';
import { scheduleRoutes } from './routes/schedules';
import type { ScheduleDeps } from './schedules-temporal';

export interface AppDeps {
  /**
   * Stripe client and webhook secret (the webhook and the Connect return URL). main.ts
   * always passes them; an app built without (tests of other features) answers 503 there.
   */
  stripe?: StripeDeps;
  /** Waits passed to withdraw workflows (config); unset ones take the workflow's defaults. */
  withdrawWaits?: WithdrawWaits;
  /** Waits passed to cardTopup workflows (config CARD_TOPUP_*); unset ones take the workflow's defaults. */
  cardTopups?: CardTopupSettings;
  /** Schedules: the shortest interval and the catch-up window (config); absent = one minute, 7 days. */
  schedules?: ScheduleDeps;
  pool: Pool;
  temporal: TemporalDeps & { client: Client };
  /**
   * SECRETS_PEPPER (signed mode; absent = signed mode refused) and the per-address throttle
   * of failed authentications (absent = none: tests that do not test it).
   */
  auth?: AuthOptions;
  /** TRUST_PROXY: Express's `trust proxy` (the client address of the auth throttle); absent = the connection's address. */
  trustProxy?: string;
  /** Webhook URL policy and endpoint cap; absent = public addresses only, 20 endpoints. */
  webhooks?: WebhookPolicy;
  /** Per-environment limits; absent = no limit (tests that do not test limits). */
  rateLimit?: RateLimitOptions | LeasedRateLimiter;
  /**
   * Per-client-address limits on the unauthenticated /stripe/* routes (in memory, per
   * process: src/api/address-rate-limit.ts); absent = no limit. 0 turns one off.
   */
  stripeRateLimit?: { connectPerMinute: number; webhookPerSecond: number };
  /** Logging, console and Web UI links; every field has a default so tests can omit it. */
  ops?: {
    logger?: Logger;
    operatorToken?: string;
    /** METRICS_TOKEN: GET /metrics then needs it as a bearer token. */
    metricsToken?: string;
    temporalUiUrl?: string;
    namespace?: string;
    /** True after SIGTERM: /readyz answers 503 (src/api/main.ts). */
    isShuttingDown?: () => boolean;
  };
}

export const BODY_LIMIT = '64kb';
/** POST /wallet/batch: up to 1,000 items (a transfer item is ~100 bytes; with the longest fields ~700). */
export const BATCH_BODY_LIMIT = '1mb';

/**
 * Runs `router` only when the path starts with one of `prefixes`; any other request
 * skips it. The router's stack stays visible, so walking the app's routes (the
 * OpenAPI coverage test) still finds its routes.
 */
function forPaths(prefixes: string[], router: RequestHandler): RequestHandler {
  const gate: RequestHandler = (req, res, next) => (prefixes.some((p) => req.path.startsWith(p)) ? router(req, res, next) : next());
  return Object.assign(gate, { stack: (router as { stack?: unknown }).stack });
}

/** Reads any body as bytes (whatever its Content-Type) and parses it exactly; see parseJsonBody. */
const rawBody = express.raw({ type: () => true, limit: BODY_LIMIT });
const rawBatchBody = express.raw({ type: () => true, limit: BATCH_BODY_LIMIT });
const jsonBody: RequestHandler[] = [
  (req, res, next) => (/^\/wallet\/batch\/?$/.test(req.path) ? rawBatchBody : rawBody)(req, res, next),
  (req, res, next) => {
    if (!Buffer.isBuffer(req.body)) {
      req.body = {};
      return next();
    }
    try {
      // Kept for signed-mode authentication, which signs the bytes as sent.
      res.locals.rawBody = req.body.toString('utf8');
      req.body = parseJsonBody(res.locals.rawBody);
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
  if (deps.trustProxy) {
    const t = deps.trustProxy;
    app.set('trust proxy', /^[0-9]+$/.test(t) ? Number(t) : t.split(',').map((p) => p.trim()));
  }
  const ops = {
    logger: deps.ops?.logger ?? createLogger({ name: 'api' }),
    temporalUiUrl: deps.ops?.temporalUiUrl ?? 'http://localhost:8233',
    namespace: deps.ops?.namespace ?? 'default',
  };

  app.use(observability(ops)); // request id, JSON log line, request metrics
  app.use(closeWhenShuttingDown(deps.ops?.isShuttingDown));
  // Operational routers are entered only for their own paths, so a wallet request does
  // not walk their layers (measured on the read path: BENCHMARKS.md).
  app.use(forPaths(['/healthz', '/readyz'], healthRoutes(deps.pool, deps.temporal.client, deps.ops?.isShuttingDown)));
  app.use(forPaths(['/metrics'], metricsRoutes(deps.ops?.metricsToken)));
  app.use(forPaths(['/docs', '/openapi.json'], docsRoutes()));
  app.use(forPaths(['/console'], consoleRoutes({ pool: deps.pool, operatorToken: deps.ops?.operatorToken, ...ops })));
  if (deps.stripeRateLimit) {
    const { connectPerMinute, webhookPerSecond } = deps.stripeRateLimit;
    app.use(forPaths(['/stripe/connect/'], addressRateLimit({ points: connectPerMinute, durationSeconds: 60, what: '/stripe/connect' })));
    app.use(forPaths(['/stripe/webhook'], addressRateLimit({ points: webhookPerSecond, durationSeconds: 1, what: '/stripe/webhook' })));
  }
  // Before jsonBody: the webhook's signature covers the raw bytes.
  app.use(forPaths(['/stripe/'], stripeWebhookRoutes(deps.pool, deps.temporal, deps.stripe)));
  // Browser GETs: no body. The refresh URL is bounded per withdrawal (withdrawWaits.maxLinkRefreshes).
  app.use(forPaths(['/stripe/'], stripeConnectRoutes(deps.pool, deps.temporal, deps.stripe, deps.withdrawWaits?.maxLinkRefreshes)));
  app.use(jsonBody);
  app.use(enterRequestContext); // after the body parser: see its comment
  const auth = authenticate(deps.pool, deps.auth);
  app.use(['/wallet', '/environments', '/events'], auth);
  if (deps.rateLimit) app.use(['/wallet', '/environments', '/events'], rateLimit(deps.pool, deps.rateLimit));
  app.use(monitorRoutes(deps.pool)); // before walletRoutes: /wallet/monitors is not a wallet id
  app.use(limitRoutes(deps.pool));
  app.use(feeRoutes(deps.pool));
  app.use(walletRoutes(deps.pool, deps.temporal));
  app.use(topupPaymentRoutes(deps.pool, deps.temporal, deps.cardTopups));
  app.use(cardTopupRoutes(deps.pool));
  app.use(transferRoutes(deps.pool, deps.temporal));
  app.use(batchRoutes(deps.pool, deps.temporal));
  app.use(scheduleRoutes(deps.pool, deps.temporal, deps.schedules));
  app.use(refundRoutes(deps.pool, deps.temporal));
  app.use(authorizationRoutes(deps.pool, deps.temporal));
  app.use(historyRoutes(deps.pool));
  app.use(statementRoutes(deps.pool));
  app.use(eventRoutes(deps.pool));
  app.use(orderRoutes(deps.pool));
  app.use(webhookRoutes(deps.pool, deps.webhooks));
  app.use(ledgerRoutes(deps.pool));

  app.use(withdrawalRoutes(deps.pool, deps.temporal, deps.withdrawWaits));
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
