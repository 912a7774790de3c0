/**
 * One webhook delivery attempt: sign the stored payload in the Standard Webhooks
 * format (webhook-id = the event's id, the same on every retry, so receivers can
 * deduplicate; webhook-timestamp = now; HMAC-SHA256 signature), POST it, record the
 * attempt. A refusal by the receiver is a result, not an error: the delivery
 * workflow decides when to try again. Only our own failures (Postgres) throw.
 */
import { Webhook } from 'standardwebhooks';
import type { Pool } from '../db/pool';
import { getDeliveryTarget, markDeliveryFailed, recordAttempt } from '../db/queries/outbox';

export const WEBHOOK_REQUEST_TIMEOUT_MS = 10_000;

export interface AttemptResult {
  /** delivered now or earlier, or given up on: stop retrying. */
  done: boolean;
  delivered: boolean;
  statusCode: number | null;
}

export function createWebhookActivities({ pool }: { pool: Pool }) {
  return {
    async attemptWebhookDelivery(input: { deliveryId: string; attempt: number }): Promise<AttemptResult> {
      const target = await getDeliveryTarget(pool, input.deliveryId);
      if (!target || target.status !== 'pending') {
        return { done: true, delivered: target?.status === 'delivered', statusCode: null };
      }
      const msgId = `evt_${target.eventId}`;
      const now = new Date();
      const signature = new Webhook(target.secret).sign(msgId, now, target.payload);
      const started = Date.now();
      let statusCode: number | null = null;
      let error: string | null = null;
      try {
        const res = await fetch(target.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Paynocchio-Webhooks/1',
            'webhook-id': msgId,
            'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
            'webhook-signature': signature,
          },
          body: target.payload,
          redirect: 'manual',
          signal: AbortSignal.timeout(WEBHOOK_REQUEST_TIMEOUT_MS),
        });
        statusCode = res.status;
        await res.body?.cancel().catch(() => undefined);
      } catch (err) {
        // The message only (connection refused, timeout): never the headers or body.
        error = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
      }
      const delivered = statusCode !== null && statusCode >= 200 && statusCode < 300;
      await recordAttempt(pool, {
        deliveryId: input.deliveryId,
        attempt: input.attempt,
        statusCode,
        error: error?.slice(0, 500) ?? null,
        durationMs: Date.now() - started,
        delivered,
      });
      return { done: delivered, delivered, statusCode };
    },

    async failWebhookDelivery(input: { deliveryId: string }): Promise<void> {
      await markDeliveryFailed(pool, input.deliveryId);
    },
  };
}
