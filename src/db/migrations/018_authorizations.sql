-- Issue 12, part 2: authorize now, capture later.
--
-- A payment with "capture": false holds its amount on the wallet (a `hold` posting:
-- wallet −x, in_flight +x, wallets.held +x, as a withdrawal's hold) and its order is
-- `authorized` until it is captured (`completed`: a `payment` posting in_flight −c,
-- revenue +c, and a `release` of the rest), voided or expired (`voided`: a `release` of
-- all of it). The order row is the state machine: every transition runs under its row
-- lock and only from `authorized` (src/activities/authorizations.ts).

alter table orders drop constraint orders_status_check;
alter table orders add constraint orders_status_check
  check (status in ('pending', 'authorized', 'completed', 'failed', 'voided', 'refunded', 'partially_refunded'));

-- What the payment took: the whole amount for a payment captured at once, the captured
-- part for an authorization (0 until then). Refunds are bounded by it.
alter table orders add column captured_amount bigint not null default 0;
update orders set captured_amount = amount where status in ('completed', 'refunded', 'partially_refunded');
alter table orders drop constraint orders_check;
alter table orders add constraint orders_amounts_check
  check (captured_amount >= 0 and captured_amount <= amount and refunded_amount >= 0 and refunded_amount <= captured_amount);

-- Authorizations only: the hold's ledger transaction, when the hold voids itself, and why
-- a voided one was voided (`requested`: POST …/void/; `expired`: its timer; `canceled`:
-- its workflow was canceled in Temporal).
alter table orders add column authorization_transaction_id bigint references ledger_transactions (id);
alter table orders add column expires_at timestamptz;
alter table orders add column void_reason text check (void_reason in ('requested', 'expired', 'canceled'));
-- The update that decided it (capture or void: the API's update id, the same for requests
-- retried with one Idempotency-Key); null for the workflow's own void. A retried request
-- that finds the order decided answers it when this is its own decision.
alter table orders add column decision_id text;
alter table orders add constraint orders_authorization_check
  check ((authorization_transaction_id is null) = (expires_at is null)
         and (status not in ('authorized', 'voided') or authorization_transaction_id is not null)
         and ((status = 'voided') = (void_reason is not null)));
