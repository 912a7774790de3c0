/**
 * One webhook delivery attempt: sign the stored payload in the Standard Webhooks
 * format (webhook-id = the event's id, the same on every retry, so receivers can
 * deduplicate; webhook-timestamp = now; HMAC-SHA256 signature), POST it, record the
 * attempt. A refusal by the receiver is a result, not an error: the delivery
 * workflow decides when to try again. Only our own failures (Postgres) throw.
 *
 * Before each attempt the endpoint must still be enabled: a delivery to a disabled
 * endpoint ends `canceled`. The POST goes to public addresses only
 * (src/activities/webhook-http.ts): an endpoint that is, or resolves to, a loopback,
 * private, link-local… address is refused without connecting, the attempt is recorded
 * with the reason and the delivery ends `failed` at once (retrying would only probe the
 * internal address again).
 */
import { Webhook } from 'standardwebhooks';
import type { Pool } from '../db/pool';
import { getDeliveryTarget, markDeliveryCanceled, markDeliveryFailed, recordAttempt } from '../db/queries/outbox';
import { webhookDeliveries } from '../observability/metrics';
import { postWebhook, WebhookAddressRefused } from './webhook-http';

export const WEBHOOK_REQUEST_TIMEOUT_MS = 10_000;

export interface AttemptResult {
  /** delivered now or earlier, or given up on: stop retrying. */
  done: boolean;
  delivered: boolean;
  statusCode: number | null;
}

export interface WebhookActivityDeps {
  pool: Pool;
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: deliver to loopback and private addresses too (tests). */
  webhooks?: { allowPrivateNetworks?: boolean };
}

export function createWebhookActivities({ pool, webhooks }: WebhookActivityDeps) {
  const allowPrivateNetworks = webhooks?.allowPrivateNetworks ?? false;
  return {
    async attemptWebhookDelivery(input: { deliveryId: string; attempt: number }): Promise<AttemptResult> {
      const target = await getDeliveryTarget(pool, input.deliveryId);
      if (!target || target.status !== 'pending') {
        return { done: true, delivered: target?.status === 'delivered', statusCode: null };
      }
      if (target.endpointStatus !== 'enabled') {
        // Disabled after this delivery was queued: nothing more is sent to it.
        await markDeliveryCanceled(pool, input.deliveryId);
        return { done: true, delivered: false, statusCode: null };
      }
      const msgId = `evt_${target.eventId}`;
      const now = new Date();
      const signature = new Webhook(target.secret).sign(msgId, now, target.payload);
      const started = Date.now();
      let statusCode: number | null = null;
      let error: string | null = null;
      let refused = false;
      try {
        statusCode = await postWebhook({
          url: target.url,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Paynocchio-Webhooks/1',
            'webhook-id': msgId,
            'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
            'webhook-signature': signature,
          },
          body: target.payload,
          timeoutMs: WEBHOOK_REQUEST_TIMEOUT_MS,
          allowPrivateNetworks,
        });
      } catch (err) {
        refused = err instanceof WebhookAddressRefused;
        // The message only (connection refused, timeout, refused address): never the headers or body.
        error = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
      }
      const delivered = statusCode !== null && statusCode >= 200 && statusCode < 300;
      webhookDeliveries.inc({ event: target.eventType, outcome: delivered ? 'delivered' : refused ? 'refused' : 'failed' });
      await recordAttempt(pool, {
        deliveryId: input.deliveryId,
        attempt: input.attempt,
        statusCode,
        error: error?.slice(0, 500) ?? null,
        durationMs: Date.now() - started,
        delivered,
      });
      if (refused) {
        await markDeliveryFailed(pool, input.deliveryId);
        return { done: true, delivered: false, statusCode: null };
      }
      return { done: delivered, delivered, statusCode };
    },

    /** The retry budget is spent: the delivery ends failed (counted once, as gave_up). */
    async failWebhookDelivery(input: { deliveryId: string }): Promise<void> {
      const eventType = await markDeliveryFailed(pool, input.deliveryId);
      if (eventType) webhookDeliveries.inc({ event: eventType, outcome: 'gave_up' });
    },
  };
}
