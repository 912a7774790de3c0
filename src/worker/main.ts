/** The worker process: `npm run worker`. */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { startHousekeeping } from './housekeeping';
import { startWebhookDispatcher } from './webhook-dispatcher';
import { createStripe } from '../stripe';
import { createWorker, tuningFromConfig } from './worker';

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
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const dispatcher = startWebhookDispatcher({
    pool,
    client: new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE }),
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    intervalMs: config.WEBHOOK_DISPATCH_INTERVAL_MS,
    retry: {
      initialIntervalMs: config.WEBHOOK_RETRY_INITIAL_MS,
      maxIntervalMs: config.WEBHOOK_RETRY_MAX_INTERVAL_MS,
      maxElapsedMs: config.WEBHOOK_RETRY_MAX_ELAPSED_MS,
    },
  });
  const housekeeping = startHousekeeping(pool, config.IDEMPOTENCY_RETENTION_HOURS);
  // SIGINT/SIGTERM make the SDK shut the worker down gracefully (drain, then resolve run()).
  console.log(`worker ready: task queue ${config.TEMPORAL_TASK_QUEUE} on ${config.TEMPORAL_ADDRESS}`);
  await worker.run();
  housekeeping.stop();
  await dispatcher.stop();
  await clientConnection.close();
  await connection.close();
  await pool.end();
}

main().catch((err) => {
  console.error('worker failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
