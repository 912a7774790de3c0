/**
 * The worker process: `npm run worker`. It runs the workflows and activities, the
 * webhook outbox dispatcher and the idempotency-key housekeeping. SIGINT/SIGTERM make
 * the SDK shut the worker down gracefully: stop polling, let running activities finish
 * (shutdownGraceTime = SHUTDOWN_GRACE_MS), then run() resolves and connections close.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { createLogger } from '../observability/logger';
import { setupTracing } from '../observability/tracing';
import { createStripe } from '../stripe';
import { startHousekeeping } from './housekeeping';
import { startMetricsServer } from './metrics-server';
import { installRuntime } from './telemetry';
import { startWebhookDispatcher } from './webhook-dispatcher';
import { createWorker, tuningFromConfig } from './worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ name: 'worker', level: config.LOG_LEVEL });
  const runtimeMetrics = installRuntime(logger, config.TEMPORAL_METRICS_PORT);
  const tracing = setupTracing({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: config.OTEL_SERVICE_NAME ?? 'paynocchio-worker' });
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
    logger,
    tracing,
    shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
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
  // A busy metrics port must not stop payments: the worker runs without /metrics and says so.
  const metricsServer = config.WORKER_METRICS_PORT
    ? await startMetricsServer({
        host: config.WORKER_METRICS_HOST,
        port: config.WORKER_METRICS_PORT,
        runtimeAddress: runtimeMetrics,
        isHealthy: () => worker.getState() === 'RUNNING',
      }).catch((err: Error) => {
        logger.error({ err: err.message, port: config.WORKER_METRICS_PORT }, 'worker /metrics could not listen; running without it');
        return null;
      })
    : null;
  logger.info(
    {
      task_queue: config.TEMPORAL_TASK_QUEUE,
      temporal: config.TEMPORAL_ADDRESS,
      metrics: metricsServer ? `http://${config.WORKER_METRICS_HOST}:${config.WORKER_METRICS_PORT}/metrics` : null,
      tracing: Boolean(tracing),
    },
    'worker ready',
  );
  await worker.run();
  logger.info('worker drained; closing');
  housekeeping.stop();
  await dispatcher.stop();
  metricsServer?.close();
  await clientConnection.close();
  await connection.close();
  await pool.end();
  await tracing?.shutdown().catch(() => undefined);
  logger.info('worker stopped');
}

main().catch((err) => {
  console.error('worker failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
