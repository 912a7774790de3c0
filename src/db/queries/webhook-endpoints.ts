/** Webhook endpoints registered by an environment. The secret is returned only by createEndpoint. */
import type { Pool } from '../pool';

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

export async function createEndpoint(
  pool: Pool,
  envId: string,
  url: string,
  eventTypes: string[],
  secret: string,
): Promise<WebhookEndpoint> {
  const { rows } = await pool.query<Row>(
    `insert into webhook_endpoints (env_id, url, event_types, secret) values ($1, $2, $3, $4)
     returning id, env_id, url, event_types, status, created_at`,
    [envId, url, eventTypes, secret],
  );
  return fromRow(rows[0]!);
}

export async function listEndpoints(pool: Pool, envId: string): Promise<WebhookEndpoint[]> {
  const { rows } = await pool.query<Row>(
    `select id, env_id, url, event_types, status, created_at from webhook_endpoints where env_id = $1 order by id`,
    [envId],
  );
  return rows.map(fromRow);
}

/** Disables an endpoint: no new deliveries are created for it. */
export async function disableEndpoint(pool: Pool, envId: string, id: string): Promise<WebhookEndpoint | null> {
  const { rows } = await pool.query<Row>(
    `update webhook_endpoints set status = 'disabled' where id = $1 and env_id = $2
     returning id, env_id, url, event_types, status, created_at`,
    [id, envId],
  );
  return rows[0] ? fromRow(rows[0]) : null;
}
