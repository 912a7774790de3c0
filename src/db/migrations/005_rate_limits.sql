-- Counters for per-environment rate limits, shared by every API process
-- (rate-limiter-flexible's Postgres store; its table layout).
create table rate_limits (
  key varchar(255) primary key,
  points integer not null default 0,
  expire bigint
);
