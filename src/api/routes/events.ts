/**
 * GET /events/: the events the webhooks carry (same ids, same payload bytes), in feed
 * order, keyset-paginated with `after` (the last event id a page returned), so an
 * endpoint that was down can catch up and a merchant can reconcile webhooks against it.
 * Feed order and why it cannot skip an event that commits late:
 * src/db/queries/events-feed.ts. Events are kept EVENTS_RETENTION_DAYS (default 30).
 */
import { Router } from 'express';
import { z } from 'zod';
import { DomainError } from '../../domain/errors';
import { EVENT_TYPES, type EventType } from '../../domain/events';
import type { Pool } from '../../db/pool';
import { feedPosition, listFeedEvents, sequenceEvents } from '../../db/queries/events-feed';
import { envEndpoint } from '../env-endpoint';
import { sendJsonText } from '../json';
import { id } from '../schemas';

const types = z
  .string({ error: 'must be a comma-separated list of event types' })
  .max(1000, 'is too long')
  .transform((text, ctx) => {
    const list = [...new Set(text.split(',').map((t) => t.trim()).filter((t) => t !== ''))];
    const unknown = list.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t));
    if (list.length === 0 || unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `must be a comma-separated list of ${EVENT_TYPES.join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ').slice(0, 200)}` : ''}` });
      return z.NEVER;
    }
    return list as EventType[];
  })
  .openapi({ type: 'string', example: 'payment.completed,refund.completed', description: 'Comma-separated event types (default: all)' });

const feedLimit = z.coerce
  .number({ error: 'must be an integer from 1 to 500' })
  .int('must be an integer from 1 to 500')
  .min(1, 'must be an integer from 1 to 500')
  .max(500, 'must be an integer from 1 to 500')
  .default(100);

export const EventsQuery = z.object({
  env_id: id,
  after: id.optional().openapi({ description: 'The id of the last event already read (next_after of the previous page); omit to start at the oldest kept' }),
  types: types.optional(),
  limit: feedLimit,
});

export function eventRoutes(pool: Pool): Router {
  const router = Router();
  router.get(
    '/events',
    ...envEndpoint({ query: EventsQuery }, 'query', async ({ query }, envId, _req, res) => {
      let { more } = await sequenceEvents(pool, envId);
      let afterSeq = '0';
      if (query.after !== undefined) {
        let { kept, position } = await feedPosition(pool, envId, query.after);
        // A backlog longer than one sequencing batch: a kept event may not have its position
        // yet. Only then sequence on (work the feed owes anyway): an unknown or foreign `after`
        // must not make one request sequence the environment's whole backlog.
        while (kept && position === null && more) {
          ({ more } = await sequenceEvents(pool, envId));
          ({ kept, position } = await feedPosition(pool, envId, query.after));
        }
        if (position === null) {
          throw new DomainError('invalid_request', `after: event ${query.after} is not a kept event of environment ${envId} (unknown, or purged after EVENTS_RETENTION_DAYS)`, {
            field: 'after',
          });
        }
        afterSeq = position;
      }
      const rows = await listFeedEvents(pool, { envId, afterSeq, types: query.types ?? null, limit: query.limit + 1 });
      const page = rows.slice(0, query.limit);
      const hasMore = rows.length > query.limit || more;
      // The stored payloads are the exact texts the webhooks sign: sent as they are.
      const text = `{"events":[${page.map((e) => e.payload).join(',')}],"next_after":${page.length ? JSON.stringify(page[page.length - 1]!.id) : 'null'},"has_more":${hasMore}}`;
      sendJsonText(res, 200, text);
    }),
  );
  return router;
}
