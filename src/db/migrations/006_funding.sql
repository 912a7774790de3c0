-- Per-environment funding float (issue 10, "money can be invented").
--
-- Where the money behind a wallet comes from: a merchant deposits with the platform
-- (a `deposit` ledger transaction: settlement −x, funding +x), and topups draw the
-- environment's `funding` account down (funding −x, wallet +x). The `settlement`
-- account mirrors the money outside the ledger (the merchant's bank transfer to the
-- platform): its balance is minus everything deposited.

alter table ledger_transactions drop constraint ledger_transactions_type_check;
alter table ledger_transactions add constraint ledger_transactions_type_check
  check (type in ('topup', 'payment', 'payment_reversal', 'transfer', 'refund', 'hold', 'release', 'settle', 'deposit')) not valid;
alter table ledger_transactions validate constraint ledger_transactions_type_check;

alter table ledger_postings drop constraint ledger_postings_account_check;
alter table ledger_postings add constraint ledger_postings_account_check
  check (account in ('wallet', 'funding', 'revenue', 'in_flight', 'paid_out', 'settlement')) not valid;
alter table ledger_postings validate constraint ledger_postings_account_check;

-- The float's counters, one row per environment and currency, written by postTransaction
-- in the same SQL transaction as every posting to `funding` (ledger.ts): a topup's
-- conditional UPDATE of this row is the atomic "is there float left" check, so topups
-- of one environment and currency queue on it while payments and transfers (which never
-- touch `funding`) never see it. The postings stay the truth: `ledger verify` checks
--   deposited = sum of funding postings of deposit transactions,
--   used      = minus the sum of funding postings of every other transaction.
-- A topup may take the float down to -credit_line (default 0), never below.
create table environment_funding (
  env_id bigint not null references environments (id),
  currency char(3) not null,
  deposited bigint not null default 0 check (deposited >= 0),
  used bigint not null default 0 check (used >= 0),
  credit_line bigint not null default 0 check (credit_line >= 0),
  updated_at timestamptz not null default now(),
  primary key (env_id, currency)
);

-- Environments that topped up before the float existed: their past topups are covered by
-- an opening deposit of exactly what they used, so every funding account starts at 0
-- (nothing left: such an environment moves nothing new until an operator funds it).
with used as (
  select env_id, currency, -sum(amount) as amount from ledger_postings
  where account = 'funding' group by env_id, currency having sum(amount) < 0
), tx as (
  insert into ledger_transactions (idempotency_id, env_id, type, currency, amount, reference)
  select 'migration-006:opening-float:' || env_id || ':' || currency, env_id, 'deposit', currency, amount,
         'opening float: topups made before the funding float existed'
  from used
  returning id, env_id, currency, amount
), legs as (
  insert into ledger_postings (transaction_id, env_id, currency, account, amount)
  select tx.id, tx.env_id, tx.currency, leg.account, leg.amount
  from tx cross join lateral (values ('settlement', -tx.amount), ('funding', tx.amount)) as leg(account, amount)
)
insert into environment_funding (env_id, currency, deposited, used)
select env_id, currency, amount, amount from used;

-- The withdrawal limit sums an environment's withdrawals in flight and paid in the last 24 h.
create index withdrawals_env_currency_status on withdrawals (env_id, currency, status, updated_at);
