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
import type { Client } from '@temporalio/client';
import { withTransaction, type Pool } from '../db/pool';
import { claimUndispatched, markDispatched } from '../db/queries/outbox';
import type { WebhookDeliveryInput } from '../workflows/webhook-delivery';

const BATCH = 100;

export interface DispatcherOptions {
  pool: Pool;
  client: Client;
  taskQueue: string;
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
      for (const { id: deliveryId } of claimed.filter((d) => d.pending)) {
        await opts.client.workflow.start('webhookDelivery', {
          taskQueue: opts.taskQueue,
          workflowId: `webhook-delivery-${deliveryId}`,
          args: [{ deliveryId, ...opts.retry } satisfies WebhookDeliveryInput],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        }).catch((err: Error) => {
          // Already started and finished by an earlier tick whose commit was lost.
          if (err.name !== 'WorkflowExecutionAlreadyStartedError') throw err;
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
