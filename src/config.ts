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
  /** Per-environment rate limit: sustained requests per second, and extra burst over 10 s. 0 disables. */
  RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(0).default(200),
  RATE_LIMIT_BURST: z.coerce.number().int().min(0).default(400),
  STRIPE_SECRET_KEY: z.string().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().optional(),
  /** stripe-mock's address when STRIPE_SECRET_KEY is unset, e.g. http://127.0.0.1:12111 */
  STRIPE_API_BASE: z.string().url().optional(),
  WORKFLOW_BUNDLE_PATH: z.string().optional(),
  /** Idempotency keys are kept at least 24 hours (issue 5), then purged by the worker. */
  IDEMPOTENCY_RETENTION_HOURS: z.coerce.number().int().min(24).max(24 * 365).default(48),
  /** How often each worker polls the webhook outbox for deliveries to start. */
  WEBHOOK_DISPATCH_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  /** Webhook retry schedule (delivery workflow inputs); defaults: 5 s ×4 up to 6 h between tries, for a day. */
  WEBHOOK_RETRY_INITIAL_MS: z.coerce.number().int().min(1).optional(),
  WEBHOOK_RETRY_MAX_INTERVAL_MS: z.coerce.number().int().min(1).optional(),
  WEBHOOK_RETRY_MAX_ELAPSED_MS: z.coerce.number().int().min(1).optional(),
});

export type Config = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
