/**
 * The worker process: `npm run worker`. It runs the workflows and activities, the
 * webhook outbox dispatcher and the idempotency-key housekeeping. SIGINT/SIGTERM make
 * the SDK shut the worker down gracefully: stop polling, let running activities finish
 * (shutdownGraceTime = SHUTDOWN_GRACE_MS), then run() resolves and connections close.
 */
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { createLogger } from '../observability/logger';
import { setupTracing } from '../observability/tracing';
import { startWorkerServices } from './services';
import { installRuntime } from './telemetry';
import { createWorker, workerDepsFromConfig } from './worker';
import { temporalConnectionOptions } from '../temporal-connection';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ name: 'worker', level: config.LOG_LEVEL });
  const runtimeMetrics = installRuntime(logger, config.TEMPORAL_METRICS_PORT);
  const tracing = setupTracing({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: config.OTEL_SERVICE_NAME ?? 'paynocchio-worker' });
  const pool = createPool(config.DATABASE_URL, config.DATABASE_POOL_MAX);
  await migrate(pool);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const worker = await createWorker(workerDepsFromConfig(config, { connection, pool, logger, tracing }));
  const services = await startWorkerServices({
    config,
    pool,
    logger,
    runtimeMetrics,
    isHealthy: () => worker.getState() === 'RUNNING',
  });
  logger.info(
    {
      task_queue: config.TEMPORAL_TASK_QUEUE,
      temporal: config.TEMPORAL_ADDRESS,
      metrics: services.metricsUrl,
      tracing: Boolean(tracing),
    },
    'worker ready',
  );
  await worker.run();
  logger.info('worker drained; closing');
  await services.stop();
  await connection.close();
  await pool.end();
  await tracing?.shutdown().catch(() => undefined);
  logger.info('worker stopped');
}

main().catch((err) => {
  console.error('worker failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
