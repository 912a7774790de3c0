/**
 * Builds the Temporal worker: workflows from src/workflows (or a prebuilt bundle),
 * activities from createActivities. Kept apart from main.ts so tests and the
 * single-process layout (src/main.ts) can build one with their own connection and pool.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { Pool } from '../db/pool';
import type { Stripe } from '../stripe';

export interface WorkerTuning {
  /** Cached workflows answer the next task without replaying their history (0: no cache). */
  maxCachedWorkflows?: number;
  maxConcurrentLocalActivityExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
}

export interface WorkerDeps {
  connection: NativeConnection;
  pool: Pool;
  stripe: Stripe;
  /** PUBLIC_URL: base of the onboarding return/refresh URLs. */
  publicUrl: string;
  namespace: string;
  taskQueue: string;
  /** A bundle from bundleWorkflowCode, written to disk: skips webpack at start. */
  workflowBundlePath?: string;
  tuning?: WorkerTuning;
}

export const WORKFLOWS_PATH = require.resolve('../workflows');

/** Tuning from config; unset values keep the SDK's defaults. */
export function tuningFromConfig(config: {
  WORKER_MAX_CACHED_WORKFLOWS: number;
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES?: number;
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS?: number;
}): WorkerTuning {
  return {
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentLocalActivityExecutions: config.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
    maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
  };
}

export async function createWorker(deps: WorkerDeps, overrides: Partial<WorkerOptions> = {}): Promise<Worker> {
  const tuning = Object.fromEntries(Object.entries(deps.tuning ?? {}).filter(([, v]) => v !== undefined));
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    ...(deps.workflowBundlePath ? { workflowBundle: { codePath: deps.workflowBundlePath } } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities({ pool: deps.pool, stripe: deps.stripe, publicUrl: deps.publicUrl }),
    maxCachedWorkflows: 2000,
    // If this worker dies, tasks queued for it move to the shared queue after this long.
    stickyQueueScheduleToStartTimeout: '2s',
    ...tuning,
    ...overrides,
  });
}
