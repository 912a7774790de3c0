-- Issue 14, section 2: a tamper-evident ledger. Each ledger transaction is sealed once,
-- after its commit, by the worker's sealer (src/db/ledger-chain.ts): seal_seq is its
-- place in its environment's chain (1, 2, 3, … in seal order, not id order: ids are drawn
-- before commit, so a lower id can commit after a higher one was sealed), prev_hash the
-- hash of the environment's previous sealed transaction (null for seal_seq 1), hash the
-- SHA-256 (hex) of the transaction's canonical content and prev_hash, sealed_at when.
-- The hot path (postTransaction) writes none of these and takes no new lock.
alter table ledger_transactions
  add column seal_seq bigint,
  add column prev_hash text,
  add column hash text,
  add column sealed_at timestamptz,
  add constraint ledger_transactions_seal_complete check (
    (seal_seq is null and prev_hash is null and hash is null and sealed_at is null)
    or (seal_seq >= 1 and hash is not null and sealed_at is not null and (prev_hash is null) = (seal_seq = 1))
  );
-- One link per place in a chain; the head is the highest seal_seq of an environment.
create unique index ledger_transactions_seal on ledger_transactions (env_id, seal_seq) where seal_seq is not null;
-- What the sealer has left to do (small: only the last moments' transactions).
create index ledger_transactions_unsealed on ledger_transactions (env_id, id) where seal_seq is null;

-- Ledger transactions stay immutable (migration 009), with one exception: the seal,
-- written once. An UPDATE passes only when the row was unsealed and every other column
-- keeps its value; a second seal, an edit of any other column, a DELETE are refused.
create or replace function ledger_transactions_immutable() returns trigger language plpgsql as $$
declare
  seal constant text[] := array['seal_seq', 'prev_hash', 'hash', 'sealed_at'];
begin
  if tg_op = 'UPDATE'
     and old.seal_seq is null and old.prev_hash is null and old.hash is null and old.sealed_at is null
     and new.seal_seq is not null
     and (to_jsonb(new) - seal) = (to_jsonb(old) - seal) then
    return new;
  end if;
  raise exception 'ledger transactions are immutable';
end $$;
