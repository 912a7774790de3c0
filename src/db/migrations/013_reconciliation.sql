-- Issue 13, part 2: continuous reconciliation with Stripe (src/workflows/reconcile.ts).

-- One row per reconciliation (a schedule run or `npm run admin -- reconcile`): its window
-- (Stripe objects created in [window_start, window_end]), its scope (env_id null = all
-- environments) and, once finished, what it found.
create table reconciliation_runs (
  id bigint generated always as identity primary key,
  workflow_id text not null,
  env_id bigint references environments (id),
  window_start timestamptz not null,
  window_end timestamptz not null,
  status text not null default 'running' check (status in ('running', 'finished')),
  examined int not null default 0,
  matched int not null default 0,
  opened int not null default 0,
  resolved int not null default 0,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  check (window_start <= window_end)
);
-- A retried start activity (same workflow id) finds its run instead of making a second one.
create unique index reconciliation_runs_workflow on reconciliation_runs (workflow_id);

-- The Stripe ids a run has seen in Stripe's lists, so its last pass (the ledger's side) knows
-- which recorded ids Stripe did not list. Deleted when the run finishes.
create table reconciliation_seen (
  run_id bigint not null references reconciliation_runs (id) on delete cascade,
  stripe_object_id text not null,
  primary key (run_id, stripe_object_id)
);

-- A difference between the ledger and Stripe. One row per (kind, Stripe object): a run that
-- finds it again updates it (never a duplicate); a run that finds the object matching closes
-- it as resolved (a late webhook caught up); a resolved one found again is reopened.
create table reconciliation_mismatches (
  id bigint generated always as identity primary key,
  kind text not null check (kind in ('missing_in_ledger', 'missing_at_stripe', 'amount_differs', 'status_differs')),
  stripe_object_id text not null,
  object_type text not null check (object_type in ('transfer', 'transfer_reversal', 'payout', 'payment_intent')),
  -- The environment the object belongs to (Stripe metadata env_id, or the withdrawal's); null when unknown.
  env_id bigint references environments (id),
  withdrawal_id bigint references withdrawals (id),
  status text not null default 'open' check (status in ('open', 'resolved')),
  -- Each side's facts as found (null: that side has no record).
  ledger jsonb,
  stripe jsonb,
  first_run_id bigint not null references reconciliation_runs (id),
  last_run_id bigint not null references reconciliation_runs (id),
  detected_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  resolved_at timestamptz,
  unique (kind, stripe_object_id),
  check ((status = 'resolved') = (resolved_at is not null))
);
create index reconciliation_mismatches_open on reconciliation_mismatches (detected_at desc) where status = 'open';
create index reconciliation_mismatches_object on reconciliation_mismatches (stripe_object_id) where status = 'open';

-- The last window a finished run covered with no open mismatch in the environment.
create table reconciliation_clean_windows (
  env_id bigint primary key references environments (id),
  window_start timestamptz not null,
  window_end timestamptz not null,
  run_id bigint not null references reconciliation_runs (id),
  recorded_at timestamptz not null default now()
);

-- Matching a Stripe object to its withdrawal by the id the workflow recorded.
create index withdrawals_stripe_transfer on withdrawals (stripe_transfer_id) where stripe_transfer_id is not null;
create index withdrawals_stripe_payout on withdrawals (stripe_payout_id) where stripe_payout_id is not null;
