/**
 * The API and the worker in ONE process (`npm run start:combined`), sharing one
 * NativeConnection and one Postgres pool. Only this layout can use eager workflow
 * start: the server hands a new workflow's first task straight back in the start
 * response to the worker on the same connection, skipping a task-queue poll round trip.
 * The default layout since issue 11 (`npm run dev`, the image, compose); the two-process
 * layout (`npm run api` + `npm run worker`) scales each side apart. Both serve the same
 * routes and run the same services (deps-from-config.ts, worker/services.ts).
 *
 * SIGINT/SIGTERM: the API stops taking requests and drains (shutdown.ts) while the SDK
 * drains the worker; then the services, connections and pool close.
 */
import { Client } from '@temporalio/client';
import { createApp } from './api/app';
import { appDepsFromConfig } from './api/deps-from-config';
import { trackConnections } from './api/shutdown';
import { startWorkerProcess } from './worker/process';

async function main(): Promise<void> {
  const { config, logger, tracing, pool, connection, worker, services, close } = await startWorkerProcess({
    logger: 'combined',
    defaultServiceName: 'paynocchio',
  });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  let shuttingDown = false;
  const deps = appDepsFromConfig(config, { pool, client, logger, isShuttingDown: () => shuttingDown, eagerStart: config.TEMPORAL_EAGER_START });
  const app = createApp(deps);
  // The worker must poll before the API takes requests, or eager starts would find no slot.
  const running = worker.run();
  const server = app.listen(config.PORT, config.HOST, () => {
    logger.info({ task_queue: config.TEMPORAL_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS, metrics: services.metricsUrl }, 'worker ready');
    logger.info({ url: `http://${config.HOST}:${config.PORT}`, eager_start: config.TEMPORAL_EAGER_START, tracing: Boolean(tracing) }, 'api ready');
  });
  const connections = trackConnections(server, logger, { graceMs: config.SHUTDOWN_GRACE_MS, acceptMs: config.SHUTDOWN_DELAY_MS });
  const drained = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      if (shuttingDown) return;
      shuttingDown = true;
      logger.info({ signal }, 'signal received');
      // Payments waiting for a batch go now; later ones run alone (nothing waits for a flush).
      deps.temporal.paymentBatcher?.drain();
      // The SDK has its own SIGINT/SIGTERM handler that drains the worker.
      void connections.stop().then(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await running;
  logger.info('worker drained; closing');
  if (shuttingDown) await drained;
  else await connections.stop(); // the worker stopped on its own: stop the API too
  await close();
  logger.info('stopped');
}

main().catch((err) => {
  console.error('combined process failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
