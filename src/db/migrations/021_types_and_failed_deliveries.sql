-- Issue 15: `payment_reversal` was allowed as a ledger transaction type from 001 on and
-- never written by any code (a payment that fails rolls back with its order: nothing to
-- reverse; refunds are `refund`). It goes from the check, so the SQL, the OpenAPI enum
-- and the console chart list the same types.
--
-- The list is edited from whatever the constraint holds now, so another migration that
-- added its own types (before or after this one) keeps them.
do $$
declare
  def text;
  trimmed text;
begin
  if exists (select 1 from ledger_transactions where type = 'payment_reversal') then
    raise exception 'ledger_transactions holds payment_reversal rows: keep the type';
  end if;
  select pg_get_constraintdef(oid) into def from pg_constraint
   where conname = 'ledger_transactions_type_check' and conrelid = 'ledger_transactions'::regclass;
  trimmed := regexp_replace(def, '''payment_reversal''::text,\s*|,\s*''payment_reversal''::text', '');
  if def is not null and trimmed <> def then
    execute 'alter table ledger_transactions drop constraint ledger_transactions_type_check';
    execute 'alter table ledger_transactions add constraint ledger_transactions_type_check ' || trimmed || ' not valid';
    execute 'alter table ledger_transactions validate constraint ledger_transactions_type_check';
  end if;
end $$;

-- The console's "failing webhook endpoints" (src/db/queries/console.ts) reads the
-- deliveries given up on in the last days; without this it would scan every delivery.
create index webhook_deliveries_failed on webhook_deliveries (updated_at) where status = 'failed';
