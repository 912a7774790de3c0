/**
 * Delivers one webhook (one event to one endpoint) until the receiver answers 2xx,
 * with exponential backoff between attempts, for up to maxElapsedMs (a day by
 * default). Every wait is a durable timer, so a delivery survives worker restarts.
 * The retry schedule is an input so tests run it in seconds.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { DATABASE_ERROR } from '../domain/errors';

export interface WebhookDeliveryInput {
  deliveryId: string;
  initialIntervalMs?: number;
  backoffCoefficient?: number;
  maxIntervalMs?: number;
  maxElapsedMs?: number;
}

export const WEBHOOK_RETRY_DEFAULTS = {
  initialIntervalMs: 5_000,
  backoffCoefficient: 4,
  maxIntervalMs: 6 * 60 * 60 * 1000,
  maxElapsedMs: 24 * 60 * 60 * 1000,
};

// The HTTP call is an ordinary activity (not local): it may take up to its timeout
// and runs on any worker. Its own retries only cover our failures (Postgres down);
// the receiver's refusals are results that the loop below retries. Those retries are
// bounded by a day, the delivery's own default budget: no step retries forever.
const webhooks = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: [DATABASE_ERROR] },
});

export async function webhookDelivery(input: WebhookDeliveryInput): Promise<{ delivered: boolean; attempts: number }> {
  const policy = { ...WEBHOOK_RETRY_DEFAULTS, ...stripUndefined(input) };
  // The budget counts the time spent waiting between attempts, not a clock reading:
  // the workflow keeps no wall time of its own (the attempts themselves are bounded
  // by their 30 s timeout), so replays compute the same schedule from the inputs.
  let waited = 0;
  let interval = policy.initialIntervalMs;
  for (let attempt = 1; ; attempt++) {
    const result = await webhooks.attemptWebhookDelivery({ deliveryId: input.deliveryId, attempt });
    if (result.done) return { delivered: result.delivered, attempts: attempt };
    if (waited + interval > policy.maxElapsedMs) {
      await webhooks.failWebhookDelivery({ deliveryId: input.deliveryId });
      return { delivered: false, attempts: attempt };
    }
    await sleep(interval);
    waited += interval;
    interval = Math.min(interval * policy.backoffCoefficient, policy.maxIntervalMs);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
