/**
 * Starts a webhookDelivery workflow for each delivery the outbox holds. Runs in
 * every worker process: a tick claims undispatched rows with `for update skip
 * locked` (so workers never hand out the same row), starts their workflows (the id
 * is derived from the delivery, so a start repeated after a crash attaches to the
 * first) and marks them dispatched in the same SQL transaction.
 *
 * Why a poller here rather than a workflow: events come from workflows *and* from
 * API routes (wallet.created); a poller picks up both, and an event whose starter
 * crashed is still picked up. A singleton polling workflow would write history
 * events on every tick and need continue-as-new; this costs one indexed query.
 */
import { withTransaction, type Pool } from '../db/pool';
import { claimUndispatched, markDispatched } from '../db/queries/outbox';
import { startWorkflow, webhookDeliveryWorkflowId, type StartDeps } from '../temporal/start-workflow';
import type { WebhookDeliveryInput } from '../workflows/webhook-delivery';

const BATCH = 100;

export interface DispatcherOptions {
  pool: Pool;
  /** The worker's own client (no eager start: it shares no connection with a worker). */
  temporal: StartDeps;
  intervalMs: number;
  retry: Omit<WebhookDeliveryInput, 'deliveryId'>;
}

export function startWebhookDispatcher(opts: DispatcherOptions): { stop: () => Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const tick = async (): Promise<number> =>
    withTransaction(opts.pool, async (client) => {
      const claimed = await claimUndispatched(client, BATCH);
      const ids = claimed.map((d) => d.id);
      // A delivery canceled before it was dispatched (its endpoint was disabled) needs no workflow.
      for (const d of claimed.filter((c) => c.pending)) {
        // Already started (even finished, by an earlier tick whose commit was lost): attaches.
        await startWorkflow(opts.temporal, 'webhookDelivery', {
          workflowId: webhookDeliveryWorkflowId(d.id),
          args: [{ deliveryId: d.id, ...opts.retry }],
          subject: { envId: d.envId },
          memo: { deliveryId: d.id, eventId: d.eventId, eventType: d.eventType, endpointId: d.endpointId },
        });
      }
      if (ids.length) await markDispatched(client, ids);
      return ids.length;
    });

  const loop = async () => {
    let claimed = 0;
    try {
      claimed = await tick();
    } catch (err) {
      console.error('[webhooks] dispatch failed, retrying:', (err as Error).message);
    }
    if (stopped) return;
    timer = setTimeout(() => (running = loop()), claimed === BATCH ? 0 : opts.intervalMs);
  };
  running = loop();

  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
