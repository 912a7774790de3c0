/**
 * Starts the real parts once for the whole suite: a fresh test database on the same
 * Postgres `npm run dev` would pick, an in-memory Temporal dev server and stripe-mock
 * on free ports, and the worker as its own process (as in production). Test files
 * read the addresses from the file named by PAYNOCCHIO_TEST_STACK.
 * PAYNOCCHIO_TEST_TEMPORAL=postgres runs the same suite against the real Temporal server
 * on Postgres instead (`npm run test:temporal-postgres`), fresh databases
 * `<test db>_temporal` and `<test db>_temporal_visibility`.
 */
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { seedDevData } from '../../scripts/dev-seed';
import {
  ROOT,
  ensureTemporalServerTools,
  ensureTools,
  freePort,
  nodeScript,
  pickDatabase,
  spawnPrefixed,
  startStripeMock,
  startTemporal,
  startTemporalServer,
  stopChild,
  waitFor,
} from '../../scripts/stack';
import { buildWorkflowBundle } from '../../scripts/workflow-bundle';
import type { TestStack } from './stack';

const verbose = process.env.PAYNOCCHIO_TEST_VERBOSE === '1';

export default async function globalSetup(): Promise<void> {
  // If any part fails to start, stop the parts that did: jest runs no teardown then.
  const started: (ChildProcess | null)[] = [];
  try {
    await startStack(started);
  } catch (err) {
    for (const child of started.reverse()) await stopChild(child);
    throw err;
  }
}

async function startStack(started: (ChildProcess | null)[]): Promise<void> {
  const startedAt = Date.now();
  const cacheDir = join(ROOT, '.cache');
  mkdirSync(cacheDir, { recursive: true });
  const tools = ensureTools();
  const database = process.env.PAYNOCCHIO_TEST_DB ?? 'paynocchio_test';
  const db = await pickDatabase(database, { fresh: true, dataDir: join(ROOT, '.data/test') });
  const pool = createPool(db.url, 2);
  await migrate(pool);
  await seedDevData(pool);
  await pool.end();

  const [temporalPort, stripePort, workerMetricsPort, runtimeMetricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const temporalKind = process.env.PAYNOCCHIO_TEST_TEMPORAL ?? 'dev';
  if (temporalKind !== 'dev' && temporalKind !== 'postgres') throw new Error(`PAYNOCCHIO_TEST_TEMPORAL must be dev or postgres, not ${temporalKind}`);
  const startTemporalKind =
    temporalKind === 'postgres'
      ? () => startTemporalServer({ tools: ensureTemporalServerTools(), postgresUrl: db.url, database: `${database}_temporal`, port: temporalPort, fresh: true, quiet: !verbose })
      : () => startTemporal({ temporal: tools.temporal, port: temporalPort, quiet: !verbose });
  const [temporal, stripe, bundle] = await Promise.all([
    startTemporalKind().then((t) => (started.push(t.child), t)),
    startStripeMock({ stripeMock: tools.stripeMock, port: stripePort, quiet: !verbose }).then((s) => (started.push(s.child), s)),
    // The same build `npm run histories:*` fingerprints (scripts/workflow-bundle.ts).
    buildWorkflowBundle(),
  ]);
  const bundlePath = join(cacheDir, `workflow-bundle-${process.pid}.js`);
  writeFileSync(bundlePath, bundle);

  const taskQueue = 'paynocchio-test';
  const env = {
    ...process.env,
    NODE_ENV: 'test' as const,
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    STRIPE_API_BASE: stripe.url,
    WORKFLOW_BUNDLE_PATH: bundlePath,
    // Webhooks: poll the outbox often and retry within seconds, not a day.
    WEBHOOK_DISPATCH_INTERVAL_MS: '100',
    WEBHOOK_RETRY_INITIAL_MS: '200',
    WEBHOOK_RETRY_MAX_INTERVAL_MS: '1000',
    WEBHOOK_RETRY_MAX_ELAPSED_MS: '60000',
    // The hold sweeper's schedule exists, but runs only when a test triggers it (or runs its workflow).
    HOLD_SWEEP_INTERVAL_MS: '86400000',
    // Likewise the reconciliation's schedule (tests run the reconcile workflow themselves).
    RECONCILE_EVERY: '7d',
    // The suite's receivers listen on 127.0.0.1 (off by default: endpoints must be public).
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    WORKER_METRICS_PORT: String(workerMetricsPort),
    TEMPORAL_METRICS_PORT: String(runtimeMetricsPort),
  };
  let workerReady = false;
  // The worker's output is kept in a file: tests read it (no secret may appear in it).
  const workerLog = join(cacheDir, `test-worker-${process.pid}.log`);
  writeFileSync(workerLog, '');
  const worker = spawnPrefixed('worker', ...nodeScript('src/worker/main.ts'), env, !verbose, (line) => {
    appendFileSync(workerLog, line + '\n');
    if (line.startsWith('worker ready') || line.includes('"msg":"worker ready"')) workerReady = true;
  });
  started.push(worker);
  await waitFor('worker', async () => workerReady, 60_000, worker);

  const stack: TestStack = {
    databaseUrl: db.url,
    temporalAddress: temporal.address,
    temporalKind,
    temporalPath: tools.temporal,
    stripeApiBase: stripe.url,
    taskQueue,
    workflowBundlePath: bundlePath,
    workerLog,
    workerMetricsUrl: `http://127.0.0.1:${workerMetricsPort}/metrics`,
  };
  const stackFile = join(cacheDir, `test-stack-${process.pid}.json`);
  writeFileSync(stackFile, JSON.stringify(stack, null, 2));
  process.env.PAYNOCCHIO_TEST_STACK = stackFile;
  (globalThis as Record<string, unknown>).__paynocchioStack = { children: [worker, stripe.child, temporal.child], db, stackFile };
  if (verbose) console.log(`\n[test] stack ready in ${Date.now() - startedAt} ms`);
}
