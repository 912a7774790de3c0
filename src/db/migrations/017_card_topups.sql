-- Card top-ups through Stripe (issue 12, part 1; README, Card top-ups).
--
-- Ledger: a PaymentIntent that succeeded credits the wallet from `stripe_clearing`
-- (type card_topup: wallet +x, stripe_clearing -x); when Stripe's balance transaction
-- says the money is available it moves on (type card_clearing: stripe_clearing +x,
-- stripe_balance -x). stripe_balance mirrors money outside the ledger like settlement:
-- its balance is minus every card top-up that reached the platform's Stripe balance;
-- stripe_clearing's is minus what succeeded and is not available yet. Card top-ups never
-- post to `funding`, so they do not use the environment's funding float.
alter table ledger_transactions drop constraint ledger_transactions_type_check;
alter table ledger_transactions add constraint ledger_transactions_type_check
  check (type in ('topup', 'payment', 'payment_reversal', 'transfer', 'refund', 'hold', 'release', 'settle', 'deposit',
                  'card_topup', 'card_clearing')) not valid;
alter table ledger_transactions validate constraint ledger_transactions_type_check;

alter table ledger_postings drop constraint ledger_postings_account_check;
alter table ledger_postings add constraint ledger_postings_account_check
  check (account in ('wallet', 'funding', 'revenue', 'in_flight', 'paid_out', 'settlement', 'stripe_clearing', 'stripe_balance')) not valid;
alter table ledger_postings validate constraint ledger_postings_account_check;

-- One row per cardTopup workflow.
create table card_topups (
  id bigint generated always as identity (start with 800000001) primary key,
  env_id bigint not null references environments (id),
  wallet_id bigint not null references wallets (id),
  user_id text not null,
  amount bigint not null check (amount > 0),
  currency char(3) not null,
  status text not null check (status in ('requires_payment', 'completed', 'failed', 'expired', 'needs_attention')),
  workflow_id text not null unique,
  payment_intent_id text unique,
  -- Handed to the merchant's front end to confirm the payment (Stripe.js); shown only while requires_payment.
  client_secret text,
  expires_at timestamptz,
  -- The first payment_intent.* outcome the webhook saw while the top-up waited for one
  -- (succeeded | failed | canceled), written under the row lock: the expiry checks it
  -- under the same lock, so a success that raced the expiry is credited, not expired.
  outcome text check (outcome in ('succeeded', 'failed', 'canceled')),
  credit_transaction_id bigint references ledger_transactions (id),
  clearing_transaction_id bigint references ledger_transactions (id),
  available_at timestamptz,
  stripe_balance_transaction_id text,
  stripe_fee bigint,
  stripe_fee_currency text,
  failure_code text,
  failure_message text,
  attention_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Credited exactly when completed (needs_attention is never credited by the workflow).
  check ((status = 'completed') = (credit_transaction_id is not null)),
  check (clearing_transaction_id is null or credit_transaction_id is not null)
);
create index card_topups_env on card_topups (env_id, id desc);

-- The timeline of GET /wallet/topups/{id}, in id order. `key` makes each write
-- idempotent: the workflow's step name, or the Stripe event id for webhook steps.
create table card_topup_events (
  id bigint generated always as identity primary key,
  topup_id bigint not null references card_topups (id),
  key text not null,
  step text not null,
  detail jsonb not null default '{}',
  created_at timestamptz not null default now(),
  unique (topup_id, key)
);
