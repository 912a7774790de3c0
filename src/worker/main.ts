/**
 * The worker process: `npm run worker`. It runs the workflows and activities, the
 * webhook outbox dispatcher and the idempotency-key housekeeping. SIGINT/SIGTERM make
 * the SDK shut the worker down gracefully: stop polling, let running activities finish
 * (shutdownGraceTime = SHUTDOWN_GRACE_MS), then run() resolves and connections close.
 */
import { startWorkerProcess } from './process';

async function main(): Promise<void> {
  const { config, logger, tracing, worker, services, close } = await startWorkerProcess({ logger: 'worker', defaultServiceName: 'paynocchio-worker' });
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
  await close();
  logger.info('worker stopped');
}

main().catch((err) => {
  console.error('worker failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
