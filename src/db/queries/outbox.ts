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
 */
export async function recordEvent(client: PoolClient, envId: string, type: EventType, data: unknown): Promise<string> {
  const { rows } = await client.query<{ id: string; created_at: Date }>(
    `insert into webhook_events (env_id, type, payload) values ($1, $2, '') returning id, created_at`,
    [envId, type],
  );
  const event = rows[0]!;
  // The id and timestamp go into the payload, so it is completed after the insert.
  const payload = stringify({ type, timestamp: event.created_at.toISOString(), event_id: event.id, data })!;
  await client.query('update webhook_events set payload = $2 where id = $1', [event.id, payload]);
  await client.query(
    `insert into webhook_deliveries (event_id, endpoint_id)
     select $1, e.id from webhook_endpoints e
     where e.env_id = $2 and e.status = 'enabled' and $3 = any(e.event_types)`,
    [event.id, envId, type],
  );
  return event.id;
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
