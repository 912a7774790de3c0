/** The API process: `npm run api`. */
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { createStripe } from '../stripe';
import { createApp } from './app';

async function main(): Promise<void> {
  const config = loadConfig();
  const pool = createPool(config.DATABASE_URL, config.DATABASE_POOL_MAX);
  await migrate(pool);
  // Connection.lazy: the API starts (and /readyz reports) even while Temporal is down.
  const connection = Connection.lazy({ address: config.TEMPORAL_ADDRESS });
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
    console.log(`api ready: http://${config.HOST}:${config.PORT}`);
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
