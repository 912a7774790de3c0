/**
 * Configuration, read once from the environment and checked with zod. A missing or
 * malformed variable stops the process at start with a message naming it.
 */
import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: z.string().min(1, 'DATABASE_URL is required, e.g. postgres://postgres@127.0.0.1:5432/paynocchio'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_URL: z.string().url().optional(),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('paynocchio'),
  TEMPORAL_UI_URL: z.string().url().default('http://localhost:8233'),
  /** Set typed search attributes on workflows; the cluster must have them registered (README). */
  TEMPORAL_SEARCH_ATTRIBUTES: bool.default(true),
  /** How long a synchronous money movement may take before the API answers 503 (retry with the same Idempotency-Key). */
  SYNC_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  STRIPE_SECRET_KEY: z.string().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().optional(),
  /** stripe-mock's address when STRIPE_SECRET_KEY is unset, e.g. http://127.0.0.1:12111 */
  STRIPE_API_BASE: z.string().url().optional(),
  WORKFLOW_BUNDLE_PATH: z.string().optional(),

  // Operations (docs/operations.md)
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Bearer token for the read-only operator console at /console; unset = console disabled. */
  OPERATOR_TOKEN: z.string().min(16, 'OPERATOR_TOKEN must be at least 16 characters').optional(),
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

export type Config = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
