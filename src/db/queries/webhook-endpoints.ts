/** Webhook endpoints registered by an environment. The secret is returned only by createEndpoint. */
import { withTransaction, type Pool } from '../pool';

export interface WebhookEndpoint {
  id: string;
  envId: string;
  url: string;
  eventTypes: string[];
  status: 'enabled' | 'disabled';
  createdAt: string;
}

interface Row {
  id: string;
  env_id: string;
  url: string;
  event_types: string[];
  status: 'enabled' | 'disabled';
  created_at: Date;
}

const fromRow = (r: Row): WebhookEndpoint => ({
  id: r.id,
  envId: r.env_id,
  url: r.url,
  eventTypes: r.event_types,
  status: r.status,
  createdAt: r.created_at.toISOString(),
});

/**
 * Registers an endpoint unless the environment already has `maxEnabled` enabled ones:
 * then it returns `{ limitReached }` and writes nothing. The environment row is locked
 * (`for no key update`, which does not block the foreign-key checks of movements) so
 * two registrations at once cannot both pass the count.
 */
export async function createEndpoint(
  pool: Pool,
  envId: string,
  url: string,
  eventTypes: string[],
  secret: string,
  maxEnabled: number,
): Promise<{ endpoint: WebhookEndpoint } | { limitReached: number }> {
  return withTransaction(pool, async (client) => {
    await client.query('select 1 from environments where id = $1 for no key update', [envId]);
    const { rows: counted } = await client.query<{ n: number }>(
      `select count(*)::int as n from webhook_endpoints where env_id = $1 and status = 'enabled'`,
      [envId],
    );
    if (counted[0]!.n >= maxEnabled) return { limitReached: counted[0]!.n };
    const { rows } = await client.query<Row>(
      `insert into webhook_endpoints (env_id, url, event_types, secret) values ($1, $2, $3, $4)
       returning id, env_id, url, event_types, status, created_at`,
      [envId, url, eventTypes, secret],
    );
    return { endpoint: fromRow(rows[0]!) };
  });
}

export async function listEndpoints(pool: Pool, envId: string): Promise<WebhookEndpoint[]> {
  const { rows } = await pool.query<Row>(
    `select id, env_id, url, event_types, status, created_at from webhook_endpoints where env_id = $1 order by id`,
    [envId],
  );
  return rows.map(fromRow);
}

/**
 * Disables an endpoint: no new deliveries are created for it, and the ones still
 * pending end `canceled` (a delivery workflow already running checks the endpoint
 * before each attempt and stops).
 */
export async function disableEndpoint(pool: Pool, envId: string, id: string): Promise<WebhookEndpoint | null> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<Row>(
      `update webhook_endpoints set status = 'disabled' where id = $1 and env_id = $2
       returning id, env_id, url, event_types, status, created_at`,
      [id, envId],
    );
    if (!rows[0]) return null;
    await client.query(
      `update webhook_deliveries set status = 'canceled', updated_at = now() where endpoint_id = $1 and status = 'pending'`,
      [id],
    );
    return fromRow(rows[0]);
  });
}
