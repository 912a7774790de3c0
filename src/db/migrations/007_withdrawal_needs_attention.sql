-- Issue 10, part 3: a withdrawal the workflow could not end by itself (payout outcome
-- never came, reversal refused, workflow terminated after the transfer, payout.failed
-- after payout.paid) is marked needs_attention for an operator. It keeps its hold
-- (final_transaction_id null) unless it was already settled (payout.failed after
-- payout.paid: final_transaction_id is the settle posting).
alter table withdrawals drop constraint withdrawals_status_check;
alter table withdrawals add constraint withdrawals_status_check
  check (status in ('awaiting_onboarding', 'processing', 'paid', 'failed', 'canceled', 'expired', 'needs_attention'));
alter table withdrawals drop constraint withdrawals_check;
alter table withdrawals add constraint withdrawals_hold_check
  check (status = 'needs_attention' or (status in ('awaiting_onboarding', 'processing')) = (final_transaction_id is null));

-- The sweeper reads the withdrawals still holding money; the console lists those needing attention.
create index withdrawals_holding on withdrawals (id) where status in ('awaiting_onboarding', 'processing');
create index withdrawals_needs_attention on withdrawals (updated_at desc) where status = 'needs_attention';
