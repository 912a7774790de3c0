/**
 * createApp(deps) builds the Express app; main.ts listens. Tests build it with their
 * own pool and Temporal client and drive it with supertest.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
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
    /** The "request completed" lines (createAccessLogger: buffered); absent = `logger`. */
    accessLogger?: Logger;
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

type Gate = RequestHandler & { stack?: unknown[] };
const stackOf = (h: RequestHandler): unknown[] => (h as Gate).stack ?? [];

/**
 * Runs `handlers` in order, then `next`: a handler that answers ends the chain, an error
 * goes to `next`. What app.use(a, b, …) does, without a router layer per handler.
 */
function runInOrder(handlers: RequestHandler[], req: Request, res: Response, next: NextFunction): void {
  let i = 0;
  const step = (err?: unknown): void => {
    if (err) return next(err);
    const h = handlers[i++];
    if (!h) return next();
    h(req, res, step);
  };
  step();
}

/**
 * One app layer for the routes outside the merchant API (health, metrics, docs, console,
 * Stripe): each entry runs only when the path starts with one of its prefixes, so any other
 * request passes them all with one scan instead of a layer per router (issue 11: the read
 * path). The routers' stacks stay visible, so walking the app's routes (the OpenAPI coverage
 * test) still finds theirs.
 */
function forPrefixes(entries: [prefixes: string[], handler: RequestHandler][]): Gate {
  const gate: RequestHandler = (req, res, next) => {
    const path = req.path;
    const wanted = ([prefixes]: (typeof entries)[number]) => prefixes.some((p) => path.startsWith(p));
    if (!entries.some(wanted)) return next();
    runInOrder(entries.filter(wanted).map(([, h]) => h), req, res, next);
  };
  return Object.assign(gate, { stack: entries.flatMap(([, h]) => stackOf(h)) });
}

/**
 * The merchant API's paths, as app.use(['/wallet', '/environments', '/events'], …) matches
 * them: the segment itself or anything under it, case-insensitively (Express routes are
 * case-insensitive, so the routes behind must never be reachable around this).
 */
export const MERCHANT_API_PATH = /^\/(?:wallet|environments|events)(?:\/|$)/i;

/** `handlers` (authentication, then the rate limit) in order for merchant API paths only: one layer, no mount-path rewriting. */
function forMerchantApi(handlers: RequestHandler[]): RequestHandler {
  return (req, res, next) => (MERCHANT_API_PATH.test(req.path) ? runInOrder(handlers, req, res, next) : next());
}

/**
 * Enters `router` only when one of its routes matches the path (the router's own matchers,
 * so the same case and trailing-slash rules), so a request walks only the routers that can
 * answer it: a wallet read no longer passes through the monitor, limit and fee routers
 * first (issue 11). A router with a middleware of its own (a layer without a route) is
 * always entered.
 */
export function forRoutes(router: Router): Gate {
  const layers = router.stack as unknown as { route?: unknown; match(path: string): unknown }[];
  const gate: RequestHandler = (req, res, next) => {
    const path = req.path;
    for (const layer of layers) if (!layer.route || layer.match(path)) return router(req, res, next);
    next();
  };
  return Object.assign(gate, { stack: router.stack });
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

  // Request id, the access line, request metrics.
  app.use(observability({ ...ops, accessLogger: deps.ops?.accessLogger }));
  app.use(closeWhenShuttingDown(deps.ops?.isShuttingDown));
  // Operational routes, entered only for their own paths (one layer for all of them).
  const stripeLimits: [string[], RequestHandler][] = [];
  if (deps.stripeRateLimit) {
    const { connectPerMinute, webhookPerSecond } = deps.stripeRateLimit;
    stripeLimits.push([['/stripe/connect/'], addressRateLimit({ points: connectPerMinute, durationSeconds: 60, what: '/stripe/connect' })]);
    stripeLimits.push([['/stripe/webhook'], addressRateLimit({ points: webhookPerSecond, durationSeconds: 1, what: '/stripe/webhook' })]);
  }
  app.use(
    forPrefixes([
      [['/healthz', '/readyz'], healthRoutes(deps.pool, deps.temporal.client, deps.ops?.isShuttingDown)],
      [['/metrics'], metricsRoutes(deps.ops?.metricsToken)],
      [['/docs', '/openapi.json'], docsRoutes()],
      [['/console'], consoleRoutes({ pool: deps.pool, operatorToken: deps.ops?.operatorToken, ...ops })],
      ...stripeLimits,
      // Before jsonBody: the webhook's signature covers the raw bytes.
      [['/stripe/'], stripeWebhookRoutes(deps.pool, deps.temporal, deps.stripe)],
      // Browser GETs: no body. The refresh URL is bounded per withdrawal (withdrawWaits.maxLinkRefreshes).
      [['/stripe/'], stripeConnectRoutes(deps.pool, deps.temporal, deps.stripe, deps.withdrawWaits?.maxLinkRefreshes)],
    ]),
  );
  app.use(jsonBody);
  app.use(enterRequestContext); // after the body parser: see its comment
  const merchant: RequestHandler[] = [authenticate(deps.pool, deps.auth)];
  if (deps.rateLimit) merchant.push(rateLimit(deps.pool, deps.rateLimit));
  app.use(forMerchantApi(merchant));
  // Each router is entered only when one of its routes matches (forRoutes).
  const routers: Router[] = [
    monitorRoutes(deps.pool), // before walletRoutes: /wallet/monitors is not a wallet id
    limitRoutes(deps.pool),
    feeRoutes(deps.pool),
    walletRoutes(deps.pool, deps.temporal),
    topupPaymentRoutes(deps.pool, deps.temporal, deps.cardTopups),
    cardTopupRoutes(deps.pool),
    transferRoutes(deps.pool, deps.temporal),
    batchRoutes(deps.pool, deps.temporal),
    scheduleRoutes(deps.pool, deps.temporal, deps.schedules),
    refundRoutes(deps.pool, deps.temporal),
    authorizationRoutes(deps.pool, deps.temporal),
    historyRoutes(deps.pool),
    statementRoutes(deps.pool),
    eventRoutes(deps.pool),
    orderRoutes(deps.pool),
    webhookRoutes(deps.pool, deps.webhooks),
    ledgerRoutes(deps.pool),
    withdrawalRoutes(deps.pool, deps.temporal, deps.withdrawWaits),
  ];
  for (const router of routers) app.use(forRoutes(router));
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
