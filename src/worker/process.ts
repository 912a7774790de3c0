/**
 * The start and the end every process that runs a worker shares (worker/main.ts, and the
 * combined src/main.ts that adds the API): config, logger, the Temporal runtime's metrics,
 * tracing, the pool (migrated), the worker's connection, the worker and the services
 * beside it. The caller runs the worker; close() then releases the rest, in the order
 * that lets nothing use what is already closed.
 */
import { NativeConnection, type Worker } from '@temporalio/worker';
import { loadConfig, type Config } from '../config';
import { migrate } from '../db/migrate';
import { createPool, type Pool } from '../db/pool';
import { applyNodeFlags, NODE_FLAGS_LINE } from '../node-flags';
import { createLogger, type Logger } from '../observability/logger';
import { setupTracing, type Tracing } from '../observability/tracing';
import { temporalConnectionOptions } from '../temporal-connection';
import { startWorkerServices, type WorkerServices } from './services';
import { installRuntime } from './telemetry';
import { createWorker, workerDepsFromConfig } from './worker';

export interface WorkerProcess {
  config: Config;
  logger: Logger;
  tracing: Tracing | null;
  pool: Pool;
  connection: NativeConnection;
  worker: Worker;
  services: WorkerServices;
  /** After the worker has drained: the services, the connection, the pool, then tracing. */
  close: () => Promise<void>;
}

export async function startWorkerProcess(names: { logger: string; defaultServiceName: string }): Promise<WorkerProcess> {
  const config = loadConfig();
  const logger = createLogger({ name: names.logger, level: config.LOG_LEVEL });
  // Before createWorker: its workflow threads are isolates created afterwards, so they get the flags.
  applyNodeFlags((missing) =>
    logger.warn({ missing, node_flags: NODE_FLAGS_LINE }, 'node started without the app\'s V8 flags: the workflow threads get them, the main heap does not; run node with them (README: Process layouts)'),
  );
  const runtimeMetrics = installRuntime(logger, config.TEMPORAL_METRICS_PORT);
  const tracing = setupTracing({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: config.OTEL_SERVICE_NAME ?? names.defaultServiceName });
  const pool = createPool(config.DATABASE_URL, config.DATABASE_POOL_MAX);
  await migrate(pool);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const worker = await createWorker(workerDepsFromConfig(config, { connection, pool, logger, tracing }));
  const services = await startWorkerServices({ config, pool, logger, runtimeMetrics, isHealthy: () => worker.getState() === 'RUNNING' });
  const close = async () => {
    await services.stop();
    await connection.close();
    await pool.end();
    await tracing?.shutdown().catch(() => undefined);
  };
  return { config, logger, tracing, pool, connection, worker, services, close };
}
