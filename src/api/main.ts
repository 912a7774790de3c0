/** The API process: `npm run api`. */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { createStripe } from '../stripe';
import { createApp } from './app';

async function main(): Promise<void> {
  const config = loadConfig();
  const pool = createPool(config.DATABASE_URL, config.DATABASE_POOL_MAX);
  await migrate(pool);
  // grpc: Connection.lazy, so the API starts (and /readyz reports) even while Temporal is
  // down. native: the Rust core's connection (a benchmark lever); it must reach Temporal
  // at start. Eager start is never asked for here: no worker shares this connection.
  const connection =
    config.TEMPORAL_CLIENT_CONNECTION === 'native'
      ? await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS })
      : Connection.lazy({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const app = createApp({
    stripe: { client: createStripe(config), webhookSecret: config.STRIPE_WEBHOOK_SECRET },
    withdrawWaits: {
      onboardingTimeoutMs: config.WITHDRAW_ONBOARDING_TIMEOUT_MS,
      payoutPollIntervalMs: config.WITHDRAW_PAYOUT_POLL_MS,
      payoutTimeoutMs: config.WITHDRAW_PAYOUT_TIMEOUT_MS,
    },
    pool,
    temporal: {
      client,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      searchAttributes: config.TEMPORAL_SEARCH_ATTRIBUTES,
      syncTimeoutMs: config.SYNC_TIMEOUT_MS,
    },
    rateLimit:
      config.RATE_LIMIT_PER_SECOND > 0 ? { perSecond: config.RATE_LIMIT_PER_SECOND, burst: config.RATE_LIMIT_BURST } : undefined,
  });
  const server = app.listen(config.PORT, config.HOST, () => {
    console.log(`api ready: http://${config.HOST}:${config.PORT} (temporal client: ${config.TEMPORAL_CLIENT_CONNECTION})`);
  });
  const stop = () => {
    server.close(() => {
      void connection.close().finally(() => pool.end());
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  console.error('api failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
