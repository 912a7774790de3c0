/**
 * The worker process: `npm run worker`. SIGINT/SIGTERM make the SDK shut the worker
 * down gracefully: stop polling, let running activities finish (shutdownGraceTime =
 * SHUTDOWN_GRACE_MS), then run() resolves and connections close.
 */
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { createLogger } from '../observability/logger';
import { setupTracing } from '../observability/tracing';
import { startMetricsServer } from './metrics-server';
import { installRuntime } from './telemetry';
import { createWorker } from './worker';

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
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowBundlePath: config.WORKFLOW_BUNDLE_PATH,
    logger,
    tracing,
    shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
  });
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
    { task_queue: config.TEMPORAL_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS, metrics: metricsServer ? `http://${config.WORKER_METRICS_HOST}:${config.WORKER_METRICS_PORT}/metrics` : null, tracing: Boolean(tracing) },
    'worker ready',
  );
  await worker.run();
  logger.info('worker drained; closing');
  metricsServer?.close();
  await connection.close();
  await pool.end();
  await tracing?.shutdown().catch(() => undefined);
  logger.info('worker stopped');
}

main().catch((err) => {
  console.error('worker failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
