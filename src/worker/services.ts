/**
 * What runs beside the Temporal worker in every layout that has one (worker/main.ts
 * and the combined src/main.ts): the webhook outbox dispatcher, the idempotency-key
 * housekeeping and the worker's /metrics + /healthz server. stop() ends them after
 * the worker has drained.
 */
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';
import type { Pool } from '../db/pool';
import type { Logger } from '../observability/logger';
import { startHousekeeping } from './housekeeping';
import { startLedgerSealer } from '../db/ledger-chain';
import { ensureHoldSweeperSchedule } from './hold-sweeper-schedule';
import { ensureReconcileSchedule } from './reconcile-schedule';
import { startMetricsServer } from './metrics-server';
import { startWebhookDispatcher } from './webhook-dispatcher';
import { temporalConnectionOptions } from '../temporal-connection';

export interface WorkerServices {
  /** The /metrics URL, or null when it is off or its port was busy. */
  metricsUrl: string | null;
  stop: () => Promise<void>;
}

export async function startWorkerServices(opts: {
  config: Config;
  pool: Pool;
  logger: Logger;
  /** The Temporal runtime's Prometheus exporter (telemetry.ts), merged into /metrics. */
  runtimeMetrics: string | null;
  isHealthy: () => boolean;
}): Promise<WorkerServices> {
  const { config, pool, logger } = opts;
  // The dispatcher starts delivery workflows through its own client connection.
  const clientConnection = await Connection.connect(temporalConnectionOptions(config));
  const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
  // The hold sweeper's schedule (README, Runbook): created once, idempotently, by any worker.
  if (config.HOLD_SWEEP_INTERVAL_MS > 0) {
    await ensureHoldSweeperSchedule(client, { taskQueue: config.TEMPORAL_TASK_QUEUE, searchAttributes: config.TEMPORAL_SEARCH_ATTRIBUTES, intervalMs: config.HOLD_SWEEP_INTERVAL_MS, logger }).catch(
      (err: Error) => logger.error({ err: err.message }, 'hold sweeper schedule could not be created; the worker runs on without it'),
    );
  }
  // Reconciliation with Stripe (README, Reconciliation): every RECONCILE_EVERY, created idempotently.
  if (config.RECONCILE_EVERY > 0) {
    await ensureReconcileSchedule(client, { taskQueue: config.TEMPORAL_TASK_QUEUE, searchAttributes: config.TEMPORAL_SEARCH_ATTRIBUTES, everyMs: config.RECONCILE_EVERY, logger }).catch(
      (err: Error) => logger.error({ err: err.message }, 'reconciliation schedule could not be created; the worker runs on without it'),
    );
  }
  const dispatcher = startWebhookDispatcher({
    pool,
    temporal: { client, taskQueue: config.TEMPORAL_TASK_QUEUE, searchAttributes: config.TEMPORAL_SEARCH_ATTRIBUTES },
    intervalMs: config.WEBHOOK_DISPATCH_INTERVAL_MS,
    retry: {
      initialIntervalMs: config.WEBHOOK_RETRY_INITIAL_MS,
      maxIntervalMs: config.WEBHOOK_RETRY_MAX_INTERVAL_MS,
      maxElapsedMs: config.WEBHOOK_RETRY_MAX_ELAPSED_MS,
    },
  });
  // The tamper-evident ledger (README, "A tamper-evident ledger"): seals committed transactions
  // into their environment's hash chain, off the hot path; every worker runs it, a
  // per-environment try-lock lets one of them seal each environment at a time.
  const sealer =
    config.LEDGER_SEAL_INTERVAL_MS > 0
      ? startLedgerSealer(pool, config.LEDGER_SEAL_INTERVAL_MS, (err) => logger.error({ err: err.message }, 'ledger sealing failed; retried next pass'))
      : null;
  const housekeeping = startHousekeeping(pool, config.IDEMPOTENCY_RETENTION_HOURS, config.EVENTS_RETENTION_DAYS);
  // A busy metrics port must not stop payments: the worker runs without /metrics and says so.
  const metricsServer = config.WORKER_METRICS_PORT
    ? await startMetricsServer({
        host: config.WORKER_METRICS_HOST,
        port: config.WORKER_METRICS_PORT,
        runtimeAddress: opts.runtimeMetrics,
        isHealthy: opts.isHealthy,
        token: config.METRICS_TOKEN,
      }).catch((err: Error) => {
        logger.error({ err: err.message, port: config.WORKER_METRICS_PORT }, 'worker /metrics could not listen; running without it');
        return null;
      })
    : null;
  return {
    metricsUrl: metricsServer ? `http://${config.WORKER_METRICS_HOST}:${config.WORKER_METRICS_PORT}/metrics` : null,
    stop: async () => {
      housekeeping.stop();
      await sealer?.stop();
      await dispatcher.stop();
      metricsServer?.close();
      await clientConnection.close();
    },
  };
}
