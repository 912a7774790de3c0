/**
 * The events feed (GET /events/) and the events' retention.
 *
 * Feed order: webhook_events ids come from a sequence drawn before the event's
 * transaction commits, so a smaller id can commit after a larger one; a reader that
 * paged on `id > after` could move past an event that was not yet visible and never see
 * it. Each read therefore first gives every committed event of the environment that has
 * none a feed position (`feed_seq`, per environment, in id order), under a row lock on
 * the environment's `event_feed_heads` row, then pages on that position. An event that
 * commits later gets a position after every position already handed out, so a consumer
 * paging with `after` never misses one. Nothing of this touches the writers' hot path
 * (recordEvent is unchanged); the price is an UPDATE of the new events on the first read
 * after they commit.
 */
import { withTransaction, type Pool } from '../pool';

/** At most this many events get positions per read (a first read of a long backlog catches up over several). */
export const FEED_SEQUENCE_BATCH = 10_000;

/** Gives feed positions to the environment's committed events that have none. Returns how many; `more` when the batch was full. */
export async function sequenceEvents(pool: Pool, envId: string): Promise<{ sequenced: number; more: boolean }> {
  return withTransaction(pool, async (client) => {
    await client.query('insert into event_feed_heads (env_id) values ($1) on conflict do nothing', [envId]);
    const head = await client.query<{ last_seq: string }>('select last_seq from event_feed_heads where env_id = $1 for update', [envId]);
    const last = head.rows[0]!.last_seq;
    const { rowCount } = await client.query(
      `update webhook_events e set feed_seq = $2::bigint + t.n
       from (select id, row_number() over (order by id) as n
             from webhook_events where env_id = $1 and feed_seq is null order by id limit $3) t
       where e.id = t.id`,
      [envId, last, FEED_SEQUENCE_BATCH],
    );
    const sequenced = rowCount ?? 0;
    if (sequenced > 0) await client.query('update event_feed_heads set last_seq = last_seq + $2 where env_id = $1', [envId, sequenced]);
    return { sequenced, more: sequenced === FEED_SEQUENCE_BATCH };
  });
}

/**
 * An event of this environment: `kept` false when there is none (unknown, another
 * environment's, or purged); `position` null while it has no feed position yet.
 */
export async function feedPosition(pool: Pool, envId: string, eventId: string): Promise<{ kept: boolean; position: string | null }> {
  const { rows } = await pool.query<{ feed_seq: string | null }>('select feed_seq from webhook_events where id = $1 and env_id = $2', [eventId, envId]);
  return { kept: rows.length > 0, position: rows[0]?.feed_seq ?? null };
}

export interface FeedEvent {
  id: string;
  /** The exact JSON text the webhooks carry (signed body). */
  payload: string;
}

/** Events after a feed position, in feed order, optionally of some types only. */
export async function listFeedEvents(
  pool: Pool,
  q: { envId: string; afterSeq: string; types: string[] | null; limit: number },
): Promise<FeedEvent[]> {
  const { rows } = await pool.query<{ id: string; payload: string }>(
    `select id, payload from webhook_events
     where env_id = $1 and feed_seq > $2 and ($3::text[] is null or type = any($3))
     order by feed_seq limit $4`,
    [q.envId, q.afterSeq, q.types, q.limit],
  );
  return rows;
}

/**
 * Deletes events older than the retention whose deliveries are all over (delivered,
 * failed or canceled; an event with a pending delivery stays, however old), with their
 * deliveries and attempts, in batches. Returns how many events went.
 */
export async function purgeEvents(pool: Pool, retentionDays: number, batch = 5_000): Promise<number> {
  let total = 0;
  for (;;) {
    const { rows } = await pool.query<{ n: string }>(
      `with doomed as (
         select e.id from webhook_events e
         where e.created_at < now() - make_interval(days => $1)
           and not exists (select 1 from webhook_deliveries d where d.event_id = e.id and d.status = 'pending')
         order by e.created_at limit $2
         for update skip locked
       ), attempts as (
         delete from webhook_attempts a using webhook_deliveries d
         where a.delivery_id = d.id and d.event_id in (select id from doomed)
       ), deliveries as (
         delete from webhook_deliveries d where d.event_id in (select id from doomed) and d.status <> 'pending'
       ), events as (
         delete from webhook_events e where e.id in (select id from doomed) returning 1
       )
       select count(*)::text as n from events`,
      [retentionDays, batch],
    );
    const n = Number(rows[0]!.n);
    total += n;
    if (n < batch) return total;
  }
}
