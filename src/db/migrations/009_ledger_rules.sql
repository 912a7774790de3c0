-- Issue 10, section 7: the ledger's rules held by Postgres itself, so that neither a bug
-- nor a hand-written SQL statement can break the books (postTransaction in
-- src/db/ledger.ts already keeps every one of them; these refuse what slips past it).
--
-- 1. Each ledger transaction has at least two postings, in its own environment and
--    currency, summing to zero: checked at COMMIT by deferred constraint triggers (the
--    postings of one movement are written after its transaction row).
-- 2. A wallet posting carries its wallet's environment and currency (a foreign key).
-- 3. ledger_transactions rows are immutable, like postings.
-- 4. TRUNCATE is refused on both tables.
--
-- Errors: an unbalanced or mixed transaction raises check_violation (23514) at commit,
-- a posting in another environment or currency than its wallet foreign_key_violation
-- (23503), UPDATE/DELETE/TRUNCATE raise_exception (P0001) like the postings' trigger.

-- (1) One check of one ledger transaction: at least two postings, all in the
-- transaction's environment and currency, summing to zero.
--
-- Cost: constraint triggers fire per row, and a movement is one transaction row plus
-- two or more postings. The check runs once per transaction row; a posting's own
-- event skips it when its transaction was already checked after the posting was
-- written. For that the checks of this SQL transaction remember (in a setting local to
-- it) the range of transaction ids checked one after the other and the postings'
-- sequence value when the first of them ran: a posting of a transaction in the range
-- with an id at most that value existed when its transaction was checked. Anything
-- else (a posting added afterwards, e.g. after SET CONSTRAINTS ... IMMEDIATE, or to an
-- older transaction) checks its transaction again.
create function ledger_check_transaction(tx_id bigint, tx_env bigint, tx_currency char(3)) returns void language plpgsql as $$
declare
  n bigint;
  total numeric;
  foreign_legs bigint;
  seen text := current_setting('paynocchio.ledger_checked', true);
begin
  select count(*), coalesce(sum(amount), 0), count(*) filter (where env_id <> tx_env or currency <> tx_currency)
    into n, total, foreign_legs
    from ledger_postings where transaction_id = tx_id;
  if n < 2 then
    raise exception 'ledger transaction % has % posting(s); a transaction needs at least two', tx_id, n
      using errcode = 'check_violation';
  end if;
  if total <> 0 then
    raise exception 'postings of ledger transaction % sum to %, not zero', tx_id, total
      using errcode = 'check_violation';
  end if;
  if foreign_legs > 0 then
    raise exception 'ledger transaction % has postings outside its environment % and currency %', tx_id, tx_env, tx_currency
      using errcode = 'check_violation';
  end if;
  if seen is not null and seen <> '' and split_part(seen, ':', 2)::bigint = tx_id - 1 then
    -- the next transaction id: extend the range (lo:hi:last posting id)
    seen := split_part(seen, ':', 1) || ':' || tx_id::text || ':' || split_part(seen, ':', 3);
  else
    seen := tx_id::text || ':' || tx_id::text || ':'
      || coalesce(pg_sequence_last_value('ledger_postings_id_seq'::regclass), 0)::text;
  end if;
  perform set_config('paynocchio.ledger_checked', seen, true);
end $$;

-- A new transaction row: its postings are checked at commit (this also catches a
-- transaction committed with no postings at all).
create function ledger_transactions_balanced() returns trigger language plpgsql as $$
begin
  perform ledger_check_transaction(new.id, new.env_id, new.currency);
  return null;
end $$;
create constraint trigger ledger_transactions_balanced after insert on ledger_transactions
  deferrable initially deferred for each row execute function ledger_transactions_balanced();

-- A new posting: its transaction is checked at commit, unless a check that covers
-- this posting already ran (the transaction row's event is queued, so fires, first).
create function ledger_postings_balanced() returns trigger language plpgsql as $$
declare
  seen text := current_setting('paynocchio.ledger_checked', true);
  tx record;
begin
  if seen is not null and seen <> ''
     and new.transaction_id between split_part(seen, ':', 1)::bigint and split_part(seen, ':', 2)::bigint
     and new.id <= split_part(seen, ':', 3)::bigint then
    return null;
  end if;
  select env_id, currency into tx from ledger_transactions where id = new.transaction_id;
  perform ledger_check_transaction(new.transaction_id, tx.env_id, tx.currency);
  return null;
end $$;
create constraint trigger ledger_postings_balanced after insert on ledger_postings
  deferrable initially deferred for each row execute function ledger_postings_balanced();

-- (2) A wallet posting's environment and currency are its wallet's. The composite key
-- replaces the plain wallet_id foreign key: the same one index lookup per wallet
-- posting (the wallet row is already locked by postTransaction), no trigger. System
-- postings (wallet_id null) are not checked by it (MATCH SIMPLE). It also stops a
-- wallet's environment or currency from changing once it has postings.
alter table wallets add constraint wallets_id_env_currency unique (id, env_id, currency);
alter table ledger_postings
  add constraint ledger_postings_wallet_env_currency
  foreign key (wallet_id, env_id, currency) references wallets (id, env_id, currency);
alter table ledger_postings drop constraint ledger_postings_wallet_id_fkey;

-- (3) Ledger transactions are immutable, like their postings.
create function ledger_transactions_immutable() returns trigger language plpgsql as $$
begin
  raise exception 'ledger transactions are immutable';
end $$;
create trigger ledger_transactions_no_update before update or delete on ledger_transactions
  for each row execute function ledger_transactions_immutable();

-- (4) TRUNCATE bypasses row triggers: refuse it on both tables (also when it would
-- cascade from wallets or environments).
create function ledger_no_truncate() returns trigger language plpgsql as $$
begin
  raise exception 'the ledger cannot be truncated (%)', tg_table_name;
end $$;
create trigger ledger_transactions_no_truncate before truncate on ledger_transactions
  for each statement execute function ledger_no_truncate();
create trigger ledger_postings_no_truncate before truncate on ledger_postings
  for each statement execute function ledger_no_truncate();
