-- Issue 5: idempotency keys, merchant webhooks (outbox, endpoints, deliveries,
-- attempts) and the index behind balance-at-a-timestamp.

-- One row per (environment, Idempotency-Key). The first request inserts it; its
-- answer (status and exact body text) is stored once the movement is finished, so a
-- replay answers byte for byte the same. A different request hash with the same key
-- is refused (409). Rows are kept for at least 24 hours (purged after
-- IDEMPOTENCY_RETENTION_HOURS by src/api/idempotency.ts).
create table idempotency_keys (
  env_id bigint not null references environments (id),
  key text not null check (length(key) between 1 and 255),
  request_hash text not null,
  method text not null,
  path text not null,
  workflow_id text,
  response_status int,
  response_body text,
  created_at timestamptz not null default now(),
  completed_at timestamptz,
  primary key (env_id, key)
);
create index idempotency_keys_created on idempotency_keys (created_at);

-- Endpoints a merchant registered. The secret is needed in clear to sign
-- (HMAC-SHA256, Standard Webhooks), so it is stored as given, never logged and
-- returned only once, by the registration call.
create table webhook_endpoints (
  id bigint generated always as identity (start with 700000001) primary key,
  env_id bigint not null references environments (id),
  url text not null,
  event_types text[] not null,
  secret text not null,
  status text not null default 'enabled' check (status in ('enabled', 'disabled')),
  created_at timestamptz not null default now()
);
create index webhook_endpoints_env on webhook_endpoints (env_id) where status = 'enabled';

-- The outbox: written in the same SQL transaction as the movement it reports.
-- payload is the exact JSON text that is signed and sent (money as exact numbers).
create table webhook_events (
  id bigint generated always as identity (start with 800000001) primary key,
  env_id bigint not null references environments (id),
  type text not null,
  payload text not null,
  created_at timestamptz not null default now()
);

-- One row per (event, endpoint subscribed when the event was written), created in
-- the same transaction as the event. dispatched_at: a delivery workflow was started.
create table webhook_deliveries (
  id bigint generated always as identity primary key,
  event_id bigint not null references webhook_events (id),
  endpoint_id bigint not null references webhook_endpoints (id),
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts int not null default 0,
  last_status_code int,
  dispatched_at timestamptz,
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (event_id, endpoint_id)
);
create index webhook_deliveries_undispatched on webhook_deliveries (id) where dispatched_at is null;

create table webhook_attempts (
  id bigint generated always as identity primary key,
  delivery_id bigint not null references webhook_deliveries (id),
  attempt int not null,
  status_code int,
  error text,
  duration_ms int not null,
  created_at timestamptz not null default now(),
  unique (delivery_id, attempt)
);

-- Balance at an instant: the sum of a wallet's postings up to then.
create index ledger_postings_wallet_time on ledger_postings (wallet_id, created_at) include (amount) where wallet_id is not null;
