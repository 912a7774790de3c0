-- Issue 12, part 3: marketplace splits and platform fees.

-- The `fees` system account (no row, like revenue: its balance is the sum of its postings).
-- The account list is extended from whatever the constraint holds now, so another
-- migration that added its own account (before or after this one) keeps it.
do $$
declare
  def text;
begin
  select pg_get_constraintdef(oid) into def from pg_constraint
   where conname = 'ledger_postings_account_check' and conrelid = 'ledger_postings'::regclass;
  if def is not null and position('''fees''' in def) = 0 then
    execute 'alter table ledger_postings drop constraint ledger_postings_account_check';
    execute 'alter table ledger_postings add constraint ledger_postings_account_check '
      || replace(def, 'ARRAY[', 'ARRAY[''fees''::text, ') || ' not valid';
    execute 'alter table ledger_postings validate constraint ledger_postings_account_check';
  end if;
end $$;

-- Fee schedules: per environment, currency and kind of movement. fee = round half-up on
-- the minor unit of amount × percent, + fixed, then clamped to [min, max] (README, Fees).
-- percent_e4: the percent × 10^4 (1.5 % → 15000), exact.
create table environment_fees (
  env_id bigint not null references environments (id),
  currency char(3) not null,
  kind text not null check (kind in ('transfer', 'withdraw', 'payment')),
  percent_e4 integer not null default 0 check (percent_e4 between 0 and 1000000),
  fixed bigint not null default 0 check (fixed >= 0),
  min_fee bigint not null default 0 check (min_fee >= 0),
  max_fee bigint check (max_fee >= 0),
  updated_at timestamptz not null default now(),
  primary key (env_id, currency, kind),
  check (max_fee is null or min_fee <= max_fee)
);

-- Who paid each fee posting: one row per payer (a wallet, or null for the environment's
-- revenue) per ledger transaction, written in the posting's SQL transaction. The postings
-- to `fees` stay the truth; invariants.ts checks each transaction's rows sum to them.
-- A negative amount is a fee given back (a withdrawal released).
create table ledger_fees (
  transaction_id bigint not null references ledger_transactions (id),
  wallet_id bigint references wallets (id),
  amount bigint not null check (amount <> 0)
);
create index ledger_fees_transaction on ledger_fees (transaction_id);

-- A payment's fee (taken from its splits, or from revenue when it has none).
alter table orders add column fee bigint not null default 0 check (fee >= 0);

-- A payment's splits: parts of the amount credited to sellers' wallets (the rest goes to
-- revenue). fee: the part of the payment's fee this seller paid (taken from its part).
create table order_splits (
  order_id bigint not null references orders (id),
  position integer not null,
  wallet_id bigint not null references wallets (id),
  amount bigint not null check (amount > 0),
  fee bigint not null default 0 check (fee >= 0 and fee <= amount),
  primary key (order_id, position)
);
create index order_splits_wallet on order_splits (wallet_id);

-- A withdrawal's fee: charged with the hold (wallet → fees), given back by a release.
alter table withdrawals add column fee bigint not null default 0 check (fee >= 0);
