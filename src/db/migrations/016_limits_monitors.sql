-- Issue 14, sections 3 and 4: spend limits and balance monitors.

-- Spend limits (README, Spend limits). A wallet's own limits; a null column falls back
-- to the environment's default for the wallet's currency (environment_limits), and no
-- value at either level means no limit. Amounts are minor units of the wallet's currency.
create table wallet_limits (
  wallet_id bigint primary key references wallets (id),
  env_id bigint not null references environments (id),
  daily_amount bigint check (daily_amount >= 0),
  monthly_amount bigint check (monthly_amount >= 0),
  daily_count integer check (daily_count >= 0),
  updated_at timestamptz not null default now()
);

create table environment_limits (
  env_id bigint not null references environments (id),
  currency char(3) not null,
  daily_amount bigint check (daily_amount >= 0),
  monthly_amount bigint check (monthly_amount >= 0),
  daily_count integer check (daily_count >= 0),
  updated_at timestamptz not null default now(),
  primary key (env_id, currency)
);

-- What left a wallet per period (UTC day, UTC month). Written only in the SQL
-- transaction of a posting, after postTransaction locked the wallet row, so updates of
-- one wallet's usage are serialized by that lock.
create table wallet_limit_usage (
  wallet_id bigint not null references wallets (id),
  period text not null check (period in ('day', 'month')),
  period_start date not null,
  amount bigint not null default 0,
  count integer not null default 0,
  primary key (wallet_id, period, period_start)
);

-- Balance monitors (README, Balance alerts). Edge-triggered: postTransaction compares a
-- wallet's old and new value of `field` and records wallet.balance_threshold_crossed
-- when the posting moves it into the condition.
create table wallet_monitors (
  id bigint generated always as identity primary key,
  env_id bigint not null references environments (id),
  wallet_id bigint not null references wallets (id),
  field text not null check (field in ('balance', 'held')),
  op text not null check (op in ('lt', 'lte', 'gt', 'gte')),
  value bigint not null check (value >= 0),
  status text not null default 'enabled' check (status in ('enabled', 'disabled')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index wallet_monitors_wallet on wallet_monitors (wallet_id) where status = 'enabled';
create index wallet_monitors_env on wallet_monitors (env_id, id);
