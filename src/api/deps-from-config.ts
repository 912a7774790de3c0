/**
 * The app's dependencies as the configuration asks for them, shared by the API
 * process (api/main.ts) and the combined process (src/main.ts) so both serve the
 * same routes with the same limits: Stripe, withdrawal waits, rate limits, console.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Pool } from '../db/pool';
import { createAccessLogger, type Logger } from '../observability/logger';
import { createStripe } from '../stripe';
import type { AppDeps } from './app';
import { paymentBatcherFor, type TemporalDeps } from './temporal';

export function appDepsFromConfig(
  config: Config,
  runtime: { pool: Pool; client: Client; logger: Logger; isShuttingDown: () => boolean; eagerStart?: boolean },
): AppDeps {
  const temporal: TemporalDeps = {
    client: runtime.client,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    searchAttributes: config.TEMPORAL_SEARCH_ATTRIBUTES,
    syncTimeoutMs: config.SYNC_TIMEOUT_MS,
    eagerStart: runtime.eagerStart ?? false,
    paymentTwoSteps: !config.PAYMENT_SINGLE_ACTIVITY,
    paymentCoalesce: config.PAYMENT_COALESCE,
  };
  if (config.PAYMENT_BATCH) {
    temporal.paymentBatcher = paymentBatcherFor(temporal, { maxSize: config.PAYMENT_BATCH_MAX_SIZE, maxInFlight: config.PAYMENT_BATCH_MAX_IN_FLIGHT });
  }
  return {
    pool: runtime.pool,
    temporal,
    stripe: { client: createStripe(config), webhookSecret: config.STRIPE_WEBHOOK_SECRET },
    withdrawWaits: {
      onboardingTimeoutMs: config.WITHDRAW_ONBOARDING_TIMEOUT_MS,
      payoutPollIntervalMs: config.WITHDRAW_PAYOUT_POLL_MS,
      payoutTimeoutMs: config.WITHDRAW_PAYOUT_TIMEOUT_MS,
      maxLinkRefreshes: config.WITHDRAW_MAX_LINK_REFRESHES,
    },
    cardTopups: {
      ttlMs: config.CARD_TOPUP_TTL_MS,
      clearingPollMs: config.CARD_TOPUP_CLEARING_POLL_MS,
      clearingTimeoutMs: config.CARD_TOPUP_CLEARING_TIMEOUT_MS,
    },
    schedules: { minIntervalMs: config.SCHEDULE_MIN_INTERVAL_MS, catchupWindowMs: config.SCHEDULE_CATCHUP_WINDOW_MS },
    stripeRateLimit: {
      connectPerMinute: config.STRIPE_CONNECT_RATE_LIMIT_PER_MINUTE,
      webhookPerSecond: config.STRIPE_WEBHOOK_RATE_LIMIT_PER_SECOND,
    },
    auth: {
      secretsPepper: config.SECRETS_PEPPER,
      failureThrottle: { failures: config.AUTH_FAILURES_PER_ADDRESS, windowSeconds: config.AUTH_FAILURE_WINDOW_SECONDS },
    },
    trustProxy: config.TRUST_PROXY,
    webhooks: { allowPrivateNetworks: config.WEBHOOK_ALLOW_PRIVATE_NETWORKS, maxEndpoints: config.WEBHOOK_MAX_ENDPOINTS },
    rateLimit:
      config.RATE_LIMIT_PER_SECOND > 0 ? { perSecond: config.RATE_LIMIT_PER_SECOND, burst: config.RATE_LIMIT_BURST } : undefined,
    ops: {
      logger: runtime.logger,
      // The access lines, buffered (logger.ts), under the process logger's name.
      accessLogger: createAccessLogger({ name: String(runtime.logger.bindings().name ?? 'api'), level: runtime.logger.level }),
      operatorToken: config.OPERATOR_TOKEN,
      metricsToken: config.METRICS_TOKEN,
      temporalUiUrl: config.TEMPORAL_UI_URL,
      namespace: config.TEMPORAL_NAMESPACE,
      isShuttingDown: runtime.isShuttingDown,
    },
  };
}
