/**
 * The API process: `npm run api`. On SIGTERM/SIGINT it stops accepting connections,
 * answers /readyz with 503 on open connections, lets in-flight requests finish (up to
 * SHUTDOWN_GRACE_MS, see shutdown.ts), and closes Temporal and Postgres last.
 */
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { NODE_FLAGS_LINE, missingNodeFlags } from '../node-flags';
import { createLogger } from '../observability/logger';
import { setupTracing } from '../observability/tracing';
import { createApp } from './app';
import { appDepsFromConfig } from './deps-from-config';
import { trackConnections } from './shutdown';
import { temporalConnectionOptions } from '../temporal-connection';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ name: 'api', level: config.LOG_LEVEL });
  const missing = missingNodeFlags();
  if (missing.length) logger.warn({ missing, node_flags: NODE_FLAGS_LINE }, 'node started without the app\'s V8 flags: the heap grows with the request rate; run node with them (README: Process layouts)');
  const tracing = setupTracing({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: config.OTEL_SERVICE_NAME ?? 'paynocchio-api' });
  const pool = createPool(config.DATABASE_URL, config.DATABASE_POOL_MAX);
  await migrate(pool);
  // grpc: Connection.lazy, so the API starts (and /readyz reports) even while Temporal is
  // down. native: the Rust core's connection (a benchmark lever); it must reach Temporal
  // at start. Eager start is never asked for here: no worker shares this connection.
  const temporalOptions = temporalConnectionOptions(config);
  const connection =
    config.TEMPORAL_CLIENT_CONNECTION === 'native'
      ? await NativeConnection.connect(temporalOptions)
      : Connection.lazy(temporalOptions);
  const client = new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    ...(tracing ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {}),
  });
  let shuttingDown = false;
  const deps = appDepsFromConfig(config, { pool, client, logger, isShuttingDown: () => shuttingDown });
  const app = createApp(deps);
  const server = app.listen(config.PORT, config.HOST, () => {
    logger.info(
      { url: `http://${config.HOST}:${config.PORT}`, tracing: Boolean(tracing), temporal_client: config.TEMPORAL_CLIENT_CONNECTION },
      'api ready',
    );
  });
  const connections = trackConnections(server, logger, { graceMs: config.SHUTDOWN_GRACE_MS, acceptMs: config.SHUTDOWN_DELAY_MS });

  const stop = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'signal received');
    // Payments waiting for a batch go now; later ones run alone (nothing waits for a flush).
    deps.temporal.paymentBatcher?.drain();
    void (async () => {
      await connections.stop();
      await connection.close().catch(() => undefined);
      await pool.end().catch(() => undefined);
      await tracing?.shutdown().catch(() => undefined);
      logger.info('api stopped');
      process.exit(0);
    })();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  console.error('api failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
