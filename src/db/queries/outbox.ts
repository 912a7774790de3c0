/**
 * The webhook outbox. recordEvent runs inside the caller's SQL transaction (the one
 * that moves the money or changes the wallet), so an event exists exactly when the
 * change it reports committed. It also creates one delivery per endpoint of the
 * environment subscribed to the type at that instant.
 */
import { stringify } from 'lossless-json';
import type { EventType } from '../../domain/events';
import type { PoolClient, Queryable } from '../pool';


/**
 * Writes the event (payload: Standard Webhooks' {type, timestamp, data}, as exact
 * JSON text) and its deliveries. `data` is a wire shape (money as LosslessNumber).
 *
 * One statement, named (issue 11: it runs in every movement's SQL transaction): the
 * event's id is drawn from its identity sequence and its timestamp is the statement's
 * now(), both spliced into the payload by Postgres, so the row is written once with its
 * final payload (it used to be an insert, an update of the payload and the deliveries'
 * insert: three round trips and a dead row version per event). The payload is
 * byte-for-byte what `stringify({ type, timestamp, event_id, data })` gives: the
 * timestamp is created_at in UTC to the millisecond (to_char truncates, as pg's Date
 * parsing does), the id a JSON string.
 */
export async function recordEvent(client: PoolClient, envId: string, type: EventType, data: unknown): Promise<string> {
  const head = `{"type":${JSON.stringify(type)},"timestamp":"`;
  const tail = `","data":${stringify(data)!}}`;
  const { rows } = await client.query<{ id: string }>({
    name: 'record-event',
    text: `with v as (select nextval(pg_get_serial_sequence('webhook_events', 'id')) as id, now() as at),
       e as (
         insert into webhook_events (id, env_id, type, payload, created_at) overriding system value
         select v.id, $1, $2, $3 || to_char(v.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '","event_id":"' || v.id || $4, v.at
         from v
         returning id
       ),
       d as (
         insert into webhook_deliveries (event_id, endpoint_id)
         select e.id, ep.id from e, webhook_endpoints ep
         where ep.env_id = $1 and ep.status = 'enabled' and $2 = any(ep.event_types)
       )
       select id from e`,
    values: [envId, type, head, tail],
  });
  return rows[0]!.id;
}

/**
 * Claims deliveries no workflow was started for yet. `skip locked` lets several
 * workers poll at once without handing out the same row; the caller marks them
 * dispatched in the same transaction after starting their workflows.
 */
/** A delivery claimed for dispatch, with what its workflow's memo and search attributes name. */
export interface ClaimedDelivery {
  id: string;
  pending: boolean;
  envId: string;
  eventId: string;
  eventType: string;
  endpointId: string;
}

export async function claimUndispatched(client: PoolClient, limit: number): Promise<ClaimedDelivery[]> {
  const { rows } = await client.query<{ id: string; pending: boolean; env_id: string; event_id: string; event_type: string; endpoint_id: string }>(
    `select d.id, d.status = 'pending' as pending, e.env_id, d.event_id, e.type as event_type, d.endpoint_id
       from webhook_deliveries d join webhook_events e on e.id = d.event_id
      where d.dispatched_at is null order by d.id limit $1 for update of d skip locked`,
    [limit],
  );
  return rows.map((r) => ({ id: r.id, pending: r.pending, envId: r.env_id, eventId: r.event_id, eventType: r.event_type, endpointId: r.endpoint_id }));
}

export async function markDispatched(client: PoolClient, ids: string[]): Promise<void> {
  await client.query('update webhook_deliveries set dispatched_at = now() where id = any($1::bigint[])', [ids]);
}

export interface DeliveryTarget {
  deliveryId: string;
  eventId: string;
  status: 'pending' | 'delivered' | 'failed' | 'canceled';
  endpointStatus: 'enabled' | 'disabled';
  url: string;
  secret: string;
  payload: string;
  /** The event's type (topup.completed, …): the label of paynocchio_webhook_deliveries_total. */
  eventType: string;
}

export async function getDeliveryTarget(db: Queryable, deliveryId: string): Promise<DeliveryTarget | null> {
  const { rows } = await db.query<{
    id: string;
    event_id: string;
    status: DeliveryTarget['status'];
    endpoint_status: DeliveryTarget['endpointStatus'];
    url: string;
    secret: string;
    payload: string;
    event_type: string;
  }>(
    `select d.id, d.event_id, d.status, e.status as endpoint_status, e.url, e.secret, ev.payload, ev.type as event_type
     from webhook_deliveries d
     join webhook_endpoints e on e.id = d.endpoint_id
     join webhook_events ev on ev.id = d.event_id
     where d.id = $1`,
    [deliveryId],
  );
  const r = rows[0];
  return r
    ? { deliveryId: r.id, eventId: r.event_id, status: r.status, endpointStatus: r.endpoint_status, url: r.url, secret: r.secret, payload: r.payload, eventType: r.event_type }
    : null;
}

export interface AttemptRecord {
  deliveryId: string;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  delivered: boolean;
}

/** Records one attempt and its effect on the delivery; a retried activity records it once. */
export async function recordAttempt(db: Queryable, a: AttemptRecord): Promise<void> {
  await db.query(
    `with attempt as (
       insert into webhook_attempts (delivery_id, attempt, status_code, error, duration_ms)
       values ($1, $2, $3, $4, $5)
       on conflict (delivery_id, attempt) do nothing
       returning delivery_id
     )
     update webhook_deliveries d set attempts = greatest(d.attempts, $2), last_status_code = $3,
       status = case when $6 then 'delivered' else d.status end,
       delivered_at = case when $6 then now() else d.delivered_at end,
       updated_at = now()
     where d.id = $1 and d.status = 'pending'`,
    [a.deliveryId, a.attempt, a.statusCode, a.error, a.durationMs, a.delivered],
  );
}

/** Marks a pending delivery failed; answers its event's type, or null when it was not pending (a retry). */
export async function markDeliveryFailed(db: Queryable, deliveryId: string): Promise<string | null> {
  const { rows } = await db.query<{ event_type: string }>(
    `update webhook_deliveries d set status = 'failed', updated_at = now()
       from webhook_events ev
      where d.id = $1 and d.status = 'pending' and ev.id = d.event_id
      returning ev.type as event_type`,
    [deliveryId],
  );
  return rows[0]?.event_type ?? null;
}

/** A delivery whose endpoint was disabled before it was delivered: nothing more is sent. */
export async function markDeliveryCanceled(db: Queryable, deliveryId: string): Promise<void> {
  await db.query(
    `update webhook_deliveries set status = 'canceled', updated_at = now() where id = $1 and status = 'pending'`,
    [deliveryId],
  );
}
