/**
 * Configuration, read once from the environment and checked with zod. A missing or
 * malformed variable stops the process at start with a message naming it.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** The webhook signing secret dev and tests use with stripe-mock (never accepted in production). */
export const DEV_STRIPE_WEBHOOK_SECRET = 'whsec_paynocchio_dev_only_0000000000000000';

/** The key that seals signing keys in dev and tests (never accepted in production or with a live Stripe key). */
export const DEV_SECRETS_PEPPER = 'paynocchio_dev_only_secrets_pepper_00000000';

/** True when a listen address is reachable from this host only (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function isProxyAddress(p: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(p)) return true;
  const [ip, bits, ...rest] = p.split('/');
  if (rest.length || !ip || !isIP(ip)) return false;
  return bits === undefined || (/^[0-9]{1,3}$/.test(bits) && Number(bits) <= (isIP(ip) === 4 ? 32 : 128));
}

/** "90s", "15m", "1h", "7d" or plain milliseconds → milliseconds; "0" or "off" → 0 (RECONCILE_EVERY, RECONCILE_LOOKBACK). */
export function parseDurationText(text: string): number | null {
  const m = /^\s*([0-9]{1,12})\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) return text.trim() === 'off' ? 0 : null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

const durationText = (fallback: string, check: (ms: number) => string | null) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDurationText(text);
      const problem = ms === null ? 'must be a duration such as 30m, 1h, 7d (or 0/off)' : check(ms);
      if (problem) {
        ctx.addIssue({ code: 'custom', message: problem });
        return z.NEVER;
      }
      return ms!;
    });

const duration = (defaultMs: number) => z.coerce.number().int().min(1).max(365 * 24 * 3600_000).default(defaultMs);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: z.string().min(1, 'DATABASE_URL is required, e.g. postgres://postgres@127.0.0.1:5432/paynocchio'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  /** Where users' browsers reach this API: Stripe's onboarding return and refresh URLs are built from it. */
  PUBLIC_URL: z.string().url().default('http://localhost:3000'),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('paynocchio'),
  TEMPORAL_UI_URL: z.string().url().default('http://localhost:8233'),
  /** TLS to Temporal (a cluster behind TLS, Temporal Cloud). Implied by TEMPORAL_API_KEY or a client certificate. */
  TEMPORAL_TLS: bool.default(false),
  /** mTLS: PEM files of this client's certificate and key (both or neither). */
  TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional(),
  /** PEM file of the server's root CA when the operating system does not trust it. */
  TEMPORAL_TLS_CA_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  /** Temporal Cloud API key (sent as a bearer token; implies TLS). */
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  /** Set typed search attributes on workflows; the cluster must have them registered (README). */
  TEMPORAL_SEARCH_ATTRIBUTES: bool.default(true),
  /** How long a synchronous money movement may take before the API answers 503 (retry with the same Idempotency-Key). */
  SYNC_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** Per-environment rate limit: sustained requests per second, and extra burst over 10 s. 0 disables. */
  RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(0).default(200),
  RATE_LIMIT_BURST: z.coerce.number().int().min(0).default(400),
  // Authentication (README: Signed requests, Failed authentication). One block: issue 10, sections 4 and 6.
  /**
   * Server-side key (32+ characters) that seals the signed-mode signing keys stored in
   * environment_secrets. Required (and never the built-in dev value) with NODE_ENV=production,
   * any STRIPE_SECRET_KEY or a HOST beyond loopback; a fixed
   * dev value otherwise. Changing it voids stored signing keys until each secret is
   * presented again in bearer mode (or rotated).
   */
  SECRETS_PEPPER: z.string().min(32, 'SECRETS_PEPPER must be at least 32 characters').optional(),
  /** Failed authentications allowed per client address per window before 429 (no database query). 0 disables. */
  AUTH_FAILURES_PER_ADDRESS: z.coerce.number().int().min(0).default(20),
  AUTH_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  /**
   * Behind a reverse proxy: which hops to trust for the client address (X-Forwarded-For),
   * as Express's `trust proxy`: a hop count, or comma-separated proxy addresses / CIDRs /
   * `loopback`, `linklocal`, `uniquelocal`. Unset: the connection's address.
   */
  TRUST_PROXY: z
    .string()
    .refine((v) => /^[0-9]{1,2}$/.test(v) || v.split(',').every((p) => isProxyAddress(p.trim())), {
      message: 'TRUST_PROXY must be a hop count or comma-separated addresses/CIDRs (or loopback, linklocal, uniquelocal)',
    })
    .optional(),
  STRIPE_SECRET_KEY: z.string().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().optional(),
  /** stripe-mock's address when STRIPE_SECRET_KEY is unset, e.g. http://127.0.0.1:12111 */
  STRIPE_API_BASE: z.string().url().optional(),
  // Withdrawals (README, Withdrawals). STRIPE_SECRET_KEY set: real Stripe; unset: stripe-mock at
  // STRIPE_API_BASE (default 127.0.0.1:12111). STRIPE_WEBHOOK_SECRET defaults to
  // DEV_STRIPE_WEBHOOK_SECRET outside production.
  /** How long a user may take to finish Stripe onboarding before the hold is released (7 days). */
  WITHDRAW_ONBOARDING_TIMEOUT_MS: duration(7 * 24 * 3600_000),
  /** Wait this long for a payout webhook before polling the payout (1 hour). */
  WITHDRAW_PAYOUT_POLL_MS: duration(3600_000),
  /** Give up waiting for a payout's outcome after this long and leave it to an operator (30 days). */
  WITHDRAW_PAYOUT_TIMEOUT_MS: duration(30 * 24 * 3600_000),
  // Card top-ups (README, Card top-ups).
  /** A card top-up nobody paid within this long expires and its PaymentIntent is canceled (24 hours). */
  CARD_TOPUP_TTL_MS: duration(24 * 3600_000),
  /** Once a balance transaction's available_on has passed, look at it again this often (1 hour). */
  CARD_TOPUP_CLEARING_POLL_MS: duration(3600_000),
  /** Stop waiting for Stripe to make a card top-up's money available (it stays in clearing) after this long (30 days). */
  CARD_TOPUP_CLEARING_TIMEOUT_MS: duration(30 * 24 * 3600_000),
  // Funding float (README, "Where the money behind a wallet comes from").
  /**
   * The initial float of a new environment (env:create, admin `environments create`) when
   * no --funding-limit is given: a decimal amount in major units of DEFAULT_CURRENCY (USD).
   * 0 (the default): a new environment moves nothing until an operator records a deposit.
   */
  DEFAULT_FUNDING_LIMIT: z
    .string()
    .regex(/^(0|[1-9][0-9]{0,11})(\.[0-9]+)?$/, 'must be a plain decimal amount such as 5000 or 5000.00')
    .default('0'),
  /**
   * Withdrawals cap per environment and currency: withdrawals in flight plus those paid in
   * the last 24 h may not exceed this share of what the environment has deposited (1 = 100%).
   */
  WITHDRAWAL_LIMIT_SHARE: z.coerce.number().min(0).max(100).default(1),
  /** How many fresh onboarding links the unauthenticated refresh URL may ask for, per withdrawal. */
  WITHDRAW_MAX_LINK_REFRESHES: z.coerce.number().int().min(0).max(1000).default(10),
  /** Requests per minute one client address may make to /stripe/connect/* (in memory, per API process). 0 = no limit. */
  STRIPE_CONNECT_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(30),
  /** Requests per second one client address may make to /stripe/webhook (in memory, per API process). 0 = no limit. */
  STRIPE_WEBHOOK_RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(0).default(100),
  /** How often the hold sweeper's Temporal Schedule runs (whole seconds). 0 = the worker creates no schedule. */
  HOLD_SWEEP_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(24 * 3600_000)
    .refine((v) => v === 0 || v >= 1000, 'must be 0 (off) or at least 1000')
    .default(5 * 60_000),
  /** How often the reconciliation schedule runs (src/workflows/reconcile.ts): 1h by default, 0/off = the worker creates no schedule. */
  RECONCILE_EVERY: durationText('1h', (ms) => (ms !== 0 && (ms < 60_000 || ms > 7 * 86_400_000) ? 'must be 0/off or between 1m and 7d' : null)),
  /** A reconciliation's window without --since: Stripe objects created this long before the run (default 7d). */
  RECONCILE_LOOKBACK: durationText('7d', (ms) => (ms < 60_000 || ms > 366 * 86_400_000 ? 'must be between 1m and 366d' : null)),
  // Schedules (README, Schedules).
  /** Runs refused (or failed) in a row after which a schedule pauses itself (`schedule.paused`). */
  SCHEDULE_PAUSE_AFTER_FAILURES: z.coerce.number().int().min(1).max(1000).default(3),
  /** After an outage, the latest missed run is taken if it is at most this old; older missed runs are skipped (7 days). */
  SCHEDULE_CATCHUP_WINDOW_MS: z.coerce.number().int().min(10_000).max(365 * 24 * 3600_000).default(7 * 24 * 3600_000),
  /** The shortest `every` a schedule may have (one minute; tests lower it). */
  SCHEDULE_MIN_INTERVAL_MS: z.coerce.number().int().min(1000).max(24 * 3600_000).default(60_000),
  /** A prebuilt workflow bundle; unset (the default layout), the worker builds one at start in a child process (src/worker/workflow-bundle.ts). */
  WORKFLOW_BUNDLE_PATH: z.string().optional(),
  /** Idempotency keys are kept at least 24 hours (issue 5), then purged by the worker. */
  IDEMPOTENCY_RETENTION_HOURS: z.coerce.number().int().min(24).max(24 * 365).default(48),
  /** Webhook events (the events feed, GET /events/) are kept this many days, then purged by the worker once their deliveries are over. */
  EVENTS_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** How often each worker seals newly committed ledger transactions into their environment's hash chain (issue 14); 0 = off. */
  LEDGER_SEAL_INTERVAL_MS: z.coerce.number().int().min(0).max(3600_000).default(1000),
  /** How often each worker polls the webhook outbox for deliveries to start. */
  WEBHOOK_DISPATCH_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  /** Webhook retry schedule (delivery workflow inputs); defaults: 5 s ×4 up to 6 h between tries, for a day. */
  WEBHOOK_RETRY_INITIAL_MS: z.coerce.number().int().min(1).optional(),
  WEBHOOK_RETRY_MAX_INTERVAL_MS: z.coerce.number().int().min(1).optional(),
  WEBHOOK_RETRY_MAX_ELAPSED_MS: z.coerce.number().int().min(1).optional(),
  /**
   * Deliver webhooks to loopback, private and link-local addresses too (tests, a receiver
   * on this machine). Off by default, `npm run dev` included: endpoints must be public.
   */
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: bool.default(false),
  /** Enabled webhook endpoints per environment; one more is refused with 409 `conflict`. */
  WEBHOOK_MAX_ENDPOINTS: z.coerce.number().int().min(1).max(10_000).default(20),
  /**
   * Worker tuning (benchmark levers, see BENCHMARKS.md). Cached workflows answer their
   * next task without replaying history; 0 turns the cache off.
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).default(2000),
  /** Unset: the SDK's defaults. Local activities hold a Postgres client, so more than the pool size only queues. */
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: z.coerce.number().int().min(1).max(10_000).optional(),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(10_000).optional(),
  /** The SDK's reuseV8Context (one V8 context for all cached workflows); false = a context per workflow. */
  WORKER_REUSE_V8_CONTEXT: bool.default(true),
  /**
   * A payment as one local activity (order + charge in one SQL transaction). false: the
   * two local activities of before issue 11 (a benchmark lever; the API sets it per workflow).
   */
  PAYMENT_SINGLE_ACTIVITY: bool.default(true),
  /**
   * Coalesced payments (issue 11 lever, off by default): each payment is an Update of its
   * wallet's long-lived walletPayments workflow, which posts the payments pending together
   * in one SQL transaction (src/workflows/wallet-payments.ts; BENCHMARKS.md).
   */
  PAYMENT_COALESCE: bool.default(false),
  /**
   * Payments batched at the API (src/api/payment-batcher.ts): while PAYMENT_BATCH_MAX_IN_FLIGHT
   * payment runs of an environment are in flight, further payments wait and go together as
   * ONE paymentBatch workflow (at most PAYMENT_BATCH_MAX_SIZE, one SQL transaction) when a
   * run ends; a payment that finds fewer in flight runs its own workflow as without it.
   */
  PAYMENT_BATCH: bool.default(true),
  PAYMENT_BATCH_MAX_SIZE: z.coerce.number().int().min(2).max(64).default(64),
  PAYMENT_BATCH_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(64).default(1),
  /**
   * The API's Temporal client: `grpc` (@temporalio/client's Connection, lazy: the API
   * starts while Temporal is down) or `native` (the Rust core's NativeConnection).
   * The combined process always shares the worker's NativeConnection.
   */
  TEMPORAL_CLIENT_CONNECTION: z.enum(['grpc', 'native']).default('grpc'),
  /**
   * Eager workflow start: only effective when the client shares a NativeConnection with
   * a worker in the same process (`npm run start:combined`); ignored otherwise.
   */
  TEMPORAL_EAGER_START: bool.default(true),
  // Operations (README, Operations)
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Bearer token for the read-only operator console at /console; unset = console disabled. */
  OPERATOR_TOKEN: z.string().min(16, 'OPERATOR_TOKEN must be at least 16 characters').optional(),
  /**
   * When set, GET /metrics (API and worker) needs `Authorization: Bearer <token>`; unset, it is
   * open, which is allowed only while HOST (and WORKER_METRICS_HOST) are loopback (issue 10).
   */
  METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
  /** The worker's /metrics and /healthz (the API serves /metrics on PORT). 0 = off. */
  WORKER_METRICS_HOST: z.string().default('127.0.0.1'),
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Where the Temporal runtime's Prometheus exporter listens (loopback; merged into the worker's /metrics). 0 = off. */
  TEMPORAL_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9465),
  /** OpenTelemetry tracing is on only when this is set, e.g. http://127.0.0.1:4318 */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_SERVICE_NAME: z.string().optional(),
  /** SIGTERM: how long in-flight requests (API) or activities (worker) may take to finish. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(25_000),
  /** SIGTERM: how long the API keeps accepting (answering /readyz 503) before it stops listening. */
  SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
});

/** Every variable the configuration reads (`.env.example` must list each one). */
export const CONFIG_KEYS = Object.keys(schema.shape) as (keyof z.infer<typeof schema>)[];


const checked = schema
  .superRefine((c, ctx) => {
    if (Boolean(c.TEMPORAL_TLS_CERT_PATH) !== Boolean(c.TEMPORAL_TLS_KEY_PATH)) {
      const missing = c.TEMPORAL_TLS_CERT_PATH ? 'TEMPORAL_TLS_KEY_PATH' : 'TEMPORAL_TLS_CERT_PATH';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'mTLS needs both TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH' });
    }
    // Issue 10, section 6: defaults that fail open. A real Stripe key means real events:
    // never verify them with the built-in dev secret, whatever NODE_ENV says.
    if (c.STRIPE_SECRET_KEY && !c.STRIPE_WEBHOOK_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['STRIPE_WEBHOOK_SECRET'],
        message: 'is required when STRIPE_SECRET_KEY is set (whatever NODE_ENV says): the dev webhook secret is public',
      });
    }
    // The dev pepper is public (it is in this file): with it, a copy of environment_secrets
    // is enough to open every sealed signing key. It is acceptable only where nobody else
    // can reach the API and no real Stripe account is behind it.
    const pepperNeeded = [
      c.NODE_ENV === 'production' && 'NODE_ENV=production',
      c.STRIPE_SECRET_KEY && 'STRIPE_SECRET_KEY is set',
      !isLoopbackHost(c.HOST) && `HOST=${c.HOST}`,
    ].filter(Boolean);
    if (pepperNeeded.length && (!c.SECRETS_PEPPER || c.SECRETS_PEPPER === DEV_SECRETS_PEPPER)) {
      ctx.addIssue({
        code: 'custom',
        path: ['SECRETS_PEPPER'],
        message: `${c.SECRETS_PEPPER ? 'must not be the built-in dev value' : 'is required'} (${pepperNeeded.join(', ')}): the dev pepper is public`,
      });
    }
    const exposed = [
      !isLoopbackHost(c.HOST) && `HOST=${c.HOST}`,
      c.WORKER_METRICS_PORT > 0 && !isLoopbackHost(c.WORKER_METRICS_HOST) && `WORKER_METRICS_HOST=${c.WORKER_METRICS_HOST}`,
    ].filter(Boolean);
    if (exposed.length && !c.METRICS_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['METRICS_TOKEN'],
        message: `is required when /metrics listens beyond loopback (${exposed.join(', ')})`,
      });
    }
  })
  .transform((c) => ({
    ...c,
    // The fixed dev secret lets tests sign events for stripe-mock; production never falls back to it.
    STRIPE_WEBHOOK_SECRET: c.STRIPE_WEBHOOK_SECRET || (c.NODE_ENV === 'production' ? undefined : DEV_STRIPE_WEBHOOK_SECRET),
    STRIPE_API_BASE: c.STRIPE_API_BASE ?? 'http://127.0.0.1:12111',
    SECRETS_PEPPER: c.SECRETS_PEPPER ?? DEV_SECRETS_PEPPER,
  }));

export type Config = z.infer<typeof checked>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = checked.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
