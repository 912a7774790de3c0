/**
 * The API and the worker in ONE process (`npm run start:combined`), sharing one
 * NativeConnection and one Postgres pool. Only this layout can use eager workflow
 * start: the server hands a new workflow's first task straight back in the start
 * response to the worker on the same connection, skipping a task-queue poll round trip.
 * The two-process layout (`npm run api` + `npm run worker`) stays the default and
 * scales each side apart; this one saves a hop and a process's memory.
 */
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApp } from './api/app';
import { loadConfig } from './config';
import { migrate } from './db/migrate';
import { createPool } from './db/pool';
import { createStripe } from './stripe';
import { createWorker, tuningFromConfig } from './worker/worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const pool = createPool(config.DATABASE_URL, config.DATABASE_POOL_MAX);
  await migrate(pool);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await createWorker({
    connection,
    pool,
    stripe: createStripe(config),
    publicUrl: config.PUBLIC_URL,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowBundlePath: config.WORKFLOW_BUNDLE_PATH,
    tuning: tuningFromConfig(config),
  });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const app = createApp({
    pool,
    temporal: {
      client,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      searchAttributes: config.TEMPORAL_SEARCH_ATTRIBUTES,
      syncTimeoutMs: config.SYNC_TIMEOUT_MS,
      eagerStart: config.TEMPORAL_EAGER_START,
    },
  });
  // The worker must poll before the API takes requests, or eager starts would find no slot.
  const running = worker.run();
  const server = app.listen(config.PORT, config.HOST, () => {
    console.log(`worker ready: task queue ${config.TEMPORAL_TASK_QUEUE} on ${config.TEMPORAL_ADDRESS}`);
    console.log(`api ready: http://${config.HOST}:${config.PORT} (combined, eager start ${config.TEMPORAL_EAGER_START ? 'on' : 'off'})`);
  });
  // SIGINT/SIGTERM: the SDK drains the worker on its own; the HTTP server stops taking requests.
  const stop = () => server.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await running;
  server.close();
  await connection.close();
  await pool.end();
}

main().catch((err) => {
  console.error('combined process failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
