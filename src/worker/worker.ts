/**
 * Builds the Temporal worker: workflows from a prebuilt bundle (WORKFLOW_BUNDLE_PATH) or one
 * built from src/workflows in a child process (workflow-bundle.ts),
 * activities from createActivities, interceptors that carry the request id and time
 * activities, and OpenTelemetry when tracing is on. Kept apart from main.ts so tests
 * and the single-process layout (src/main.ts) can build one with their own connection and pool.
 */
import { makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor } from '@temporalio/interceptors-opentelemetry';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import type { Pool } from '../db/pool';
import { createLogger, type Logger } from '../observability/logger';
import type { Tracing } from '../observability/tracing';
import { createStripe } from '../stripe';
import type { Config } from '../config';
import { activityInterceptors } from './interceptors';
import { buildWorkflowBundleInChild } from './workflow-bundle';

export interface WorkerTuning {
  /** Cached workflows answer the next task without replaying their history (0: no cache). */
  maxCachedWorkflows?: number;
  maxConcurrentLocalActivityExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  /** The SDK's reuseV8Context (default true). */
  reuseV8Context?: boolean;
}

/** What the activities need (pool, Stripe, PUBLIC_URL, limits, schedules), and the worker's own settings. */
export interface WorkerDeps extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** A bundle from bundleWorkflowCode, written to disk: skips webpack at start. */
  workflowBundlePath?: string;
  tuning?: WorkerTuning;
  logger?: Logger;
  tracing?: Tracing | null;
  shutdownGraceMs?: number;
}

export { WORKFLOWS_PATH, WORKFLOW_INTERCEPTOR_MODULES } from './workflow-bundle';

/** Tuning from config; unset values keep the SDK's defaults. */
export function tuningFromConfig(config: {
  WORKER_MAX_CACHED_WORKFLOWS: number;
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES?: number;
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS?: number;
  WORKER_REUSE_V8_CONTEXT?: boolean;
}): WorkerTuning {
  return {
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    ...(config.WORKER_REUSE_V8_CONTEXT === false ? { reuseV8Context: false } : {}),
    maxConcurrentLocalActivityExecutions: config.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
    maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
  };
}

/** The worker as the configuration asks for it: worker/main.ts and the combined src/main.ts. */
export function workerDepsFromConfig(
  config: Config,
  runtime: { connection: NativeConnection; pool: Pool; logger: Logger; tracing: Tracing | null },
): WorkerDeps {
  return {
    ...runtime,
    stripe: createStripe(config),
    publicUrl: config.PUBLIC_URL,
    withdrawalLimitShare: config.WITHDRAWAL_LIMIT_SHARE,
    webhooks: { allowPrivateNetworks: config.WEBHOOK_ALLOW_PRIVATE_NETWORKS },
    reconcileLookbackMs: config.RECONCILE_LOOKBACK,
    schedules: {
      pauseAfterFailures: config.SCHEDULE_PAUSE_AFTER_FAILURES,
      withdrawWaits: {
        onboardingTimeoutMs: config.WITHDRAW_ONBOARDING_TIMEOUT_MS,
        payoutPollIntervalMs: config.WITHDRAW_PAYOUT_POLL_MS,
        payoutTimeoutMs: config.WITHDRAW_PAYOUT_TIMEOUT_MS,
        maxLinkRefreshes: config.WITHDRAW_MAX_LINK_REFRESHES,
      },
    },
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowBundlePath: config.WORKFLOW_BUNDLE_PATH,
    tuning: tuningFromConfig(config),
    shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
  };
}

export async function createWorker(deps: WorkerDeps, overrides: Partial<WorkerOptions> = {}): Promise<Worker> {
  const tuning = Object.fromEntries(Object.entries(deps.tuning ?? {}).filter(([, v]) => v !== undefined));
  const logger = deps.logger ?? createLogger({ name: 'worker' });
  const tracing = deps.tracing ?? null;
  if (tracing && deps.workflowBundlePath) {
    // A bundle's interceptors are fixed when it is built: workflows are then not traced, activities are.
    logger.warn('tracing is on but WORKFLOW_BUNDLE_PATH is set: workflow spans need the OTel interceptors in the bundle');
  }
  // No prebuilt bundle: webpack runs in a child process, so its memory is not kept for the life of this one.
  const workflowBundle = deps.workflowBundlePath ? { codePath: deps.workflowBundlePath } : { code: await buildWorkflowBundleInChild(Boolean(tracing)) };
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    workflowBundle,
    activities: createActivities(deps),
    interceptors: {
      activity: [
        activityInterceptors(logger),
        ...(tracing ? [(ctx: Parameters<ReturnType<typeof activityInterceptors>>[0]) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx) })] : []),
      ],
    },
    ...(tracing ? { sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) } } : {}),
    // Cached workflows answer the next task without replaying their history.
    maxCachedWorkflows: 2000,
    // If this worker dies, tasks queued for it move to the shared queue after this long.
    stickyQueueScheduleToStartTimeout: '2s',
    // SIGTERM: stop polling, then give running activities this long to finish.
    shutdownGraceTime: deps.shutdownGraceMs ?? 25_000,
    ...tuning,
    ...overrides,
  });
}
