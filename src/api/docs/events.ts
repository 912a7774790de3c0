/** OpenAPI entries of routes/events.ts (registered by src/api/openapi.ts). */
import { z } from 'zod';
import { registerRoute } from './registry';
import { EventsQuery } from '../routes/events';

export function documentEvents(): void {
  registerRoute({
    method: 'get',
    path: '/events',
    tags: ['webhooks'],
    summary: 'The events feed: every event the webhooks carry, in order, to catch up or reconcile',
    description:
      'The same events (same `event_id`, same JSON payload byte for byte) that webhook endpoints receive, whether or not an endpoint is registered, oldest first. ' +
      'Page with `after` = the `next_after` of the previous page until `has_more` is false; polling with the last `next_after` later returns only newer events, none skipped. ' +
      'Order is the feed\'s, which is commit order and not always id order: an event whose transaction committed later comes later, even with a smaller id. ' +
      'Events are kept `EVENTS_RETENTION_DAYS` (default 30; an event a delivery still retries is kept until that ends): an `after` that names no kept event of the environment is 422.',
    request: { query: EventsQuery },
    responses: {
      200: {
        description: 'One page of events',
        schema: z.object({
          events: z.array(z.object({ type: z.string(), timestamp: z.string(), event_id: z.string(), data: z.record(z.string(), z.unknown()) })),
          next_after: z.string().nullable().openapi({ description: 'Pass as `after` for the next page (null: no event on this page; keep your last one)' }),
          has_more: z.boolean(),
        }),
        example: {
          events: [
            {
              type: 'payment.completed',
              timestamp: '2026-01-01T00:05:00.000Z',
              event_id: '800000042',
              data: { order: { id: '500000001', env_id: '123', wallet_id: '100000001', user_id: 'alice', product_id: 'book', amount: 30.0, currency: 'USD', status: 'completed' } },
            },
          ],
          next_after: '800000042',
          has_more: false,
        },
      },
    },
  });

}
