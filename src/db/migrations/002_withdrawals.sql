-- Withdrawals to the user's bank through Stripe Connect (issue 4).

-- One Stripe connected account per environment and user. payouts_enabled is our view
-- of the account, changed only by events (the account.updated webhook, the return URL
-- handler's re-read): the withdraw workflow waits on it, never polls Stripe for it.
create table stripe_accounts (
  env_id bigint not null references environments (id),
  user_id text not null,
  stripe_account_id text not null,
  payouts_enabled boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (env_id, user_id)
);
create index stripe_accounts_account on stripe_accounts (stripe_account_id);

-- One row per withdraw workflow, created together with its hold posting.
create table withdrawals (
  id bigint generated always as identity (start with 700000001) primary key,
  env_id bigint not null references environments (id),
  wallet_id bigint not null references wallets (id),
  user_id text not null,
  amount bigint not null check (amount > 0),
  currency char(3) not null,
  status text not null check (status in ('awaiting_onboarding', 'processing', 'paid', 'failed', 'canceled', 'expired')),
  workflow_id text not null unique,
  -- Unguessable token in the onboarding return/refresh URLs: ids are sequential, and a
  -- fresh onboarding link for someone else's account must not be one guess away.
  link_token text not null default replace(gen_random_uuid()::text, '-', ''),
  stripe_account_id text,
  stripe_transfer_id text,
  stripe_payout_id text,
  hold_transaction_id bigint not null references ledger_transactions (id),
  -- The release or settle posting that ended the hold; null while funds are held.
  final_transaction_id bigint references ledger_transactions (id),
  failure_code text,
  failure_message text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- A finished withdrawal has ended its hold; one in flight has not.
  check ((status in ('awaiting_onboarding', 'processing')) = (final_transaction_id is null))
);
create index withdrawals_env_user on withdrawals (env_id, user_id, id desc);

-- The timeline shown by GET /wallet/withdrawals/{id}. seq is the workflow's own
-- counter, so a retried activity writes the same step once.
create table withdrawal_events (
  withdrawal_id bigint not null references withdrawals (id),
  seq int not null,
  step text not null,
  detail jsonb not null default '{}',
  created_at timestamptz not null default now(),
  primary key (withdrawal_id, seq)
);

-- Stripe event ids already handled: a redelivered webhook has no second effect.
create table stripe_events (
  id text primary key,
  type text not null,
  received_at timestamptz not null default now()
);
