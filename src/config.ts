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
  /**
   * Worker tuning (benchmark levers, see BENCHMARKS.md). Cached workflows answer their
   * next task without replaying history; 0 turns the cache off.
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).default(2000),
  /** Unset: the SDK's defaults. Local activities hold a Postgres client, so more than the pool size only queues. */
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: z.coerce.number().int().min(1).max(10_000).optional(),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(10_000).optional(),
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
