/**
 * Ledger side of a withdrawal: hold (create the withdrawal with its hold posting),
 * record a step, and finish with a release (money back in the wallet) or a settle
 * (money paid out). Each is one SQL transaction, idempotent by the workflow id + step.
 */
import { DomainError } from '../domain/errors';
import { ledgerStepId, postings } from '../domain/postings';
import { formatAmount, type Currency } from '../domain/money';
import type { Wallet } from '../domain/types';
import type { AttentionReason, Withdrawal, WithdrawalStatus } from '../domain/withdrawals';
import { IN_FLIGHT_STATUSES } from '../domain/withdrawals';
import { postTransaction } from '../db/ledger';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import { getFunding } from '../db/queries/funding';
import { recordEvent } from '../db/queries/outbox';
import { getFeeRule, recordFeePayers } from '../db/queries/fees';
import { computeFee } from '../domain/fees';
import { withdrawalsNeedingAttention } from '../observability/metrics';
import { presentWithdrawal } from '../wire/present';
import {
  addWithdrawalEvent,
  insertWithdrawal,
  lockWithdrawal,
  lockWithdrawalLimit,
  nextWithdrawalSeq,
  updateWithdrawal,
  withdrawalIdFor,
  withdrawalsTowardLimit,
  type WithdrawalChange,
} from '../db/queries/withdrawals';

export interface HoldWithdrawalInput {
  workflowId: string;
  /** The hold posting's id, named by the workflow: ledgerStepId(workflowId, 'hold'). */
  idempotencyId: string;
  envId: string;
  walletId: string;
  userId: string;
  amount: string;
  currency: Currency;
}

export interface TimelineStep {
  seq: number;
  step: string;
  detail?: Record<string, unknown>;
}

export interface RecordWithdrawalInput extends TimelineStep {
  withdrawalId: string;
  change?: WithdrawalChange;
}

export interface FinishWithdrawalInput extends TimelineStep {
  withdrawalId: string;
  /** release: the held money goes back to the wallet; settle: it is paid out. */
  outcome: 'release' | 'settle';
  /** The posting's id: ledgerStepId(<the withdrawal's workflow id>, outcome). */
  idempotencyId: string;
  status: Extract<WithdrawalStatus, 'paid' | 'failed' | 'canceled' | 'expired'>;
  failureCode?: string | null;
  failureMessage?: string | null;
}

/** WITHDRAWAL_LIMIT_SHARE's default: withdrawals in flight + paid in 24 h up to 100% of what was deposited. */
export const DEFAULT_WITHDRAWAL_LIMIT_SHARE = 1;

/** The share as parts per million, so the cap is computed in exact integers. */
const PPM = 1_000_000n;

/**
 * Refuses (withdrawal_limit_exceeded) a hold that would take the environment's withdrawals
 * in flight plus those paid in the last 24 h above `share` × what it has deposited in this
 * currency. Under a per-environment-and-currency advisory lock held to the commit, so two
 * concurrent holds cannot both pass on the same total. A retried activity whose hold is
 * already committed is not checked again (its own withdrawal is in the total).
 */
async function checkWithdrawalLimit(client: PoolClient, input: HoldWithdrawalInput, amount: bigint, sharePpm: bigint): Promise<void> {
  await lockWithdrawalLimit(client, input.envId, input.currency);
  const held = await client.query('select 1 from ledger_transactions where idempotency_id = $1', [input.idempotencyId]);
  if (held.rowCount) return;
  const funding = await getFunding(client, input.envId, input.currency);
  const deposited = BigInt(funding?.deposited ?? '0');
  const limit = (deposited * sharePpm) / PPM;
  const counted = await withdrawalsTowardLimit(client, input.envId, input.currency);
  if (counted + amount <= limit) return;
  const left = limit > counted ? limit - counted : 0n;
  throw new DomainError(
    'withdrawal_limit_exceeded',
    `environment ${input.envId} may withdraw ${formatAmount(left, input.currency)} ${input.currency} more now ` +
      `(withdrawals in flight and paid in the last 24 h are limited to ${formatAmount(limit, input.currency)}), ` +
      `this withdrawal is ${formatAmount(amount, input.currency)}`,
    {
      env_id: input.envId,
      currency: input.currency,
      limit_minor: limit.toString(),
      counted_minor: counted.toString(),
      available_minor: left.toString(),
      required_minor: amount.toString(),
    },
  );
}

/**
 * The posting that ends a hold: release (back to the wallet, with the withdrawal's fee
 * given back from `fees`) or settle (paid out; the fee stays with `fees`).
 */
async function postHoldEnd(client: PoolClient, current: Withdrawal, outcome: 'release' | 'settle', idempotencyId: string) {
  const amount = BigInt(current.amount);
  const fee = BigInt(current.fee);
  const posted = await postTransaction(client, {
    idempotencyId,
    envId: current.envId,
    currency: current.currency,
    // A compensation or settle must succeed on a suspended wallet (the builders say so).
    ...(outcome === 'settle' ? postings.settle(current.walletId, amount, current.id) : postings.release(current.walletId, amount, current.id, fee)),
  });
  if (outcome === 'release' && !posted.replayed) await recordFeePayers(client, posted.transactionId, [{ walletId: current.walletId, amount: -fee }]);
  return posted;
}

/**
 * Ends the hold of `current` (locked by the caller, in flight) inside the caller's SQL
 * transaction: the posting, the timeline step, the final status and the merchant event.
 */
export async function finishLocked(client: PoolClient, current: Withdrawal, input: FinishWithdrawalInput): Promise<Withdrawal> {
  const posted = await postHoldEnd(client, current, input.outcome, input.idempotencyId);
  await addWithdrawalEvent(client, current.id, input.seq, input.step, {
    ...(input.detail ?? {}),
    transaction_id: posted.transactionId,
  });
  const finished = await updateWithdrawal(client, current.id, {
    status: input.status,
    finalTransactionId: posted.transactionId,
    ...(input.failureCode !== undefined || input.failureMessage !== undefined
      ? { failureCode: input.failureCode ?? null, failureMessage: input.failureMessage ?? null }
      : {}),
  });
  // Merchants hear of every end: paid, or money back in the wallet (`data.withdrawal.status`
  // says failed, expired or canceled). Written in the same commit as the ledger change.
  await recordEvent(client, finished.envId, finished.status === 'paid' ? 'withdrawal.paid' : 'withdrawal.failed', {
    withdrawal: presentWithdrawal(finished),
  });
  return finished;
}

/**
 * An operator's decision on a `needs_attention` withdrawal whose hold is still in place
 * (`npm run admin -- withdrawals resolve`): `released` (the money is back on the platform:
 * release to the wallet, status `failed`) or `paid_out` (it reached the user: settle, status
 * `paid`). One SQL transaction: posting, timeline step `resolved_by_operator`, status, merchant event.
 * `acknowledged` ends one with no hold left (`payout_failed_after_paid`, `payout_paid_after_release`:
 * the ledger already settled or released it): nothing is posted, the status goes back to what
 * the ledger says (`paid` after a settle, `failed` after a release), with the same timeline step
 * and merchant event. Each outcome is refused on the other kind (held / not held).
 */
export type ResolveOutcome = 'released' | 'paid_out' | 'acknowledged';

export async function resolveNeedsAttention(
  pool: Pool,
  input: { withdrawalId: string; outcome: ResolveOutcome; note: string },
): Promise<Withdrawal> {
  return withTransaction(pool, async (client) => {
    const current = await lockWithdrawal(client, input.withdrawalId);
    if (!current) throw new DomainError('not_found', `withdrawal ${input.withdrawalId} not found`);
    if (current.status !== 'needs_attention') {
      throw new DomainError('conflict', `withdrawal ${current.id} is ${current.status}, not needs_attention`);
    }
    const { rows } = await client.query<{ held: boolean; final_type: string | null; final_transaction_id: string | null }>(
      `select w.final_transaction_id is null as held, t.type as final_type, w.final_transaction_id::text as final_transaction_id
         from withdrawals w left join ledger_transactions t on t.id = w.final_transaction_id where w.id = $1`,
      [current.id],
    );
    const { held, final_type: finalType, final_transaction_id: finalTransactionId } = rows[0]!;
    if (input.outcome === 'acknowledged') {
      if (held) {
        throw new DomainError('conflict', `withdrawal ${current.id} still holds its amount: resolve it as released or paid_out`);
      }
      if (finalType !== 'settle' && finalType !== 'release') {
        throw new DomainError('conflict', `withdrawal ${current.id} ended with a ${finalType} transaction, not a settle or release`);
      }
      // The ledger already says where the money is: nothing is posted; the status goes back to it.
      await addWithdrawalEvent(client, current.id, await nextWithdrawalSeq(client, current.id), 'resolved_by_operator', {
        outcome: input.outcome,
        note: input.note,
        transaction_id: finalTransactionId,
        ledger: finalType === 'settle' ? 'settled' : 'released',
      });
      const acknowledged = await updateWithdrawal(client, current.id, { status: finalType === 'settle' ? 'paid' : 'failed' });
      await recordEvent(client, acknowledged.envId, acknowledged.status === 'paid' ? 'withdrawal.paid' : 'withdrawal.failed', {
        withdrawal: presentWithdrawal(acknowledged),
      });
      return acknowledged;
    }
    if (!held) {
      throw new DomainError(
        'conflict',
        `withdrawal ${current.id} has no hold left (the ledger already ${finalType === 'release' ? 'released' : 'settled'} it): settle it at Stripe, then resolve it as acknowledged`,
      );
    }
    if (input.outcome === 'released') {
      // Stripe said, after the workflow stopped listening, that the payout reached the bank:
      // releasing would pay the user twice (bank and wallet).
      const { rows: late } = await client.query<{ status: string }>(
        `select detail->>'status' as status from withdrawal_events where withdrawal_id = $1 and step = $2 order by seq desc limit 1`,
        [current.id, LATE_PAYOUT_OUTCOME_STEP],
      );
      if (late[0]?.status === 'paid') {
        throw new DomainError(
          'conflict',
          `withdrawal ${current.id}: Stripe reported its payout paid after the workflow ended (timeline step ${LATE_PAYOUT_OUTCOME_STEP}): the money reached the bank; resolve it as paid_out`,
        );
      }
    }
    const outcome = input.outcome === 'released' ? 'release' : 'settle';
    // The id the withdrawal's workflow would have posted under: the hold ends once.
    const posted = await postHoldEnd(client, current, outcome, ledgerStepId(current.workflowId, outcome));
    await addWithdrawalEvent(client, current.id, await nextWithdrawalSeq(client, current.id), 'resolved_by_operator', {
      outcome: input.outcome,
      note: input.note,
      transaction_id: posted.transactionId,
    });
    const resolved = await updateWithdrawal(client, current.id, {
      status: input.outcome === 'released' ? 'failed' : 'paid',
      finalTransactionId: posted.transactionId,
    });
    await recordEvent(client, resolved.envId, resolved.status === 'paid' ? 'withdrawal.paid' : 'withdrawal.failed', {
      withdrawal: presentWithdrawal(resolved),
    });
    return resolved;
  });
}

/** The timeline step of a payout outcome that came after the workflow stopped listening. */
export const LATE_PAYOUT_OUTCOME_STEP = 'late_payout_outcome';

/**
 * Records a payout event whose workflow has ended (a `needs_attention` withdrawal, or one
 * whose workflow closed and the sweeper has yet to mark): a timeline step with what Stripe
 * said, under the row lock (so two events get two positions). Nothing is posted: the
 * operator decides, with this in front of them.
 */
export async function recordLatePayoutOutcome(
  client: PoolClient,
  withdrawalId: string,
  e: { type: string; payoutId: string; outcome: { status: 'paid' | 'failed'; failureCode?: string | null } },
): Promise<void> {
  const current = await lockWithdrawal(client, withdrawalId);
  if (!current) return;
  await addWithdrawalEvent(client, current.id, await nextWithdrawalSeq(client, current.id), LATE_PAYOUT_OUTCOME_STEP, {
    stripe_event: e.type,
    stripe_payout_id: e.payoutId,
    status: e.outcome.status,
    failure_code: e.outcome.status === 'failed' ? (e.outcome.failureCode ?? null) : null,
    withdrawal_status: current.status,
  });
}

export interface NeedsAttentionInput {
  withdrawalId: string;
  /** The workflow's timeline counter; omitted (sweeper, late webhook): the next free position. */
  seq?: number;
  step: string;
  reason: AttentionReason;
  detail?: Record<string, unknown>;
  failureCode?: string | null;
  failureMessage?: string | null;
}

/**
 * Marks a withdrawal `needs_attention` inside the caller's SQL transaction: the timeline
 * step, the status (the hold or the settle stays as it is: nothing is posted), the merchant
 * event `withdrawal.needs_attention` and the metric. Only from a status it can come from
 * (in flight; `paid` for a payout.failed after payout.paid); otherwise (already ended,
 * already marked) it changes nothing and returns null.
 */
export async function markNeedsAttention(client: PoolClient, input: NeedsAttentionInput): Promise<Withdrawal | null> {
  const current = await lockWithdrawal(client, input.withdrawalId);
  if (!current) throw new DomainError('not_found', `withdrawal ${input.withdrawalId} not found`);
  const from: readonly WithdrawalStatus[] =
    input.reason === 'payout_failed_after_paid' ? ['paid'] : input.reason === 'payout_paid_after_release' ? ['failed'] : IN_FLIGHT_STATUSES;
  if (!from.includes(current.status)) return null;
  const seq = input.seq ?? (await nextWithdrawalSeq(client, current.id));
  await addWithdrawalEvent(client, current.id, seq, input.step, { ...(input.detail ?? {}), reason: input.reason, status_before: current.status });
  const marked = await updateWithdrawal(client, current.id, {
    status: 'needs_attention',
    failureCode: input.failureCode ?? input.reason,
    failureMessage: input.failureMessage ?? null,
  });
  await recordEvent(client, marked.envId, 'withdrawal.needs_attention', { withdrawal: presentWithdrawal(marked), reason: input.reason });
  withdrawalsNeedingAttention.inc({ reason: input.reason });
  return marked;
}

export function createWithdrawalActivities({ pool, withdrawalLimitShare }: { pool: Pool; withdrawalLimitShare?: number }) {
  const share = withdrawalLimitShare ?? DEFAULT_WITHDRAWAL_LIMIT_SHARE;
  if (!Number.isFinite(share) || share < 0) throw new Error(`withdrawal limit share must be a number >= 0, got ${share}`);
  const sharePpm = BigInt(Math.round(share * 1_000_000));
  return {
    /**
     * Checks the environment's withdrawal limit, moves the amount from the wallet to
     * in_flight (held) and creates the withdrawal, in one commit.
     */
    async holdWithdrawal(input: HoldWithdrawalInput): Promise<{ withdrawal: Withdrawal; wallet: Wallet }> {
      const amount = BigInt(input.amount);
      return withTransaction(pool, async (client) => {
        await checkWithdrawalLimit(client, input, amount, sharePpm);
        // The hold's reference names the withdrawal, like its release's or settle's (holds
        // posted before this change name the workflow: `withdrawal:<workflow id>`).
        const id = await withdrawalIdFor(client, input.workflowId);
        // The withdrawal fee is charged to the wallet on top of the amount with the hold
        // (wallet −(amount + fee), in_flight +amount, fees +fee); a release gives it back.
        const fee = computeFee(amount, await getFeeRule(client, input.envId, input.currency, 'withdraw'));
        const posted = await postTransaction(client, {
          idempotencyId: input.idempotencyId,
          envId: input.envId,
          currency: input.currency,
          ...postings.hold(input.walletId, amount, id, fee),
        });
        if (!posted.replayed) await recordFeePayers(client, posted.transactionId, [{ walletId: input.walletId, amount: fee }]);
        // A replay keeps the row of the first run (and the fee it charged).
        const { idempotencyId: _, ...fields } = input;
        const withdrawal = await insertWithdrawal(client, { ...fields, id, holdTransactionId: posted.transactionId, fee: fee.toString() });
        await addWithdrawalEvent(client, withdrawal.id, 0, 'funds_held', { transaction_id: posted.transactionId });
        return { withdrawal, wallet: posted.wallets[0]! };
      });
    },

    /** Applies a change to the withdrawal and appends the step to its timeline. */
    async recordWithdrawal(input: RecordWithdrawalInput): Promise<Withdrawal> {
      return withTransaction(pool, async (client) => {
        const current = await lockWithdrawal(client, input.withdrawalId);
        if (!current) throw new DomainError('not_found', `withdrawal ${input.withdrawalId} not found`);
        await addWithdrawalEvent(client, current.id, input.seq, input.step, input.detail ?? {});
        const updated = input.change ? await updateWithdrawal(client, current.id, input.change) : current;
        // The user has a Stripe onboarding link to follow: the merchant hears of it once.
        if (input.step === 'onboarding_link_created') {
          await recordEvent(client, updated.envId, 'withdrawal.awaiting_onboarding', { withdrawal: presentWithdrawal(updated) });
        }
        return updated;
      });
    },

    /** Ends the hold (release or settle) and sets the final status, in one commit. */
    async finishWithdrawal(input: FinishWithdrawalInput): Promise<Withdrawal> {
      return withTransaction(pool, async (client) => {
        const current = await lockWithdrawal(client, input.withdrawalId);
        if (!current) throw new DomainError('not_found', `withdrawal ${input.withdrawalId} not found`);
        // A retried activity whose first attempt committed: nothing more to do.
        if (!IN_FLIGHT_STATUSES.includes(current.status)) return current;
        return finishLocked(client, current, input);
      });
    },

    /**
     * The workflow cannot end the withdrawal by itself (payout outcome never came, reversal
     * refused, payout.failed after payout.paid): hand it to an operator. A retried activity
     * whose first attempt committed changes nothing more.
     */
    async markWithdrawalNeedsAttention(input: NeedsAttentionInput & { seq: number }): Promise<Withdrawal> {
      return withTransaction(pool, async (client) => {
        const marked = await markNeedsAttention(client, input);
        return marked ?? (await lockWithdrawal(client, input.withdrawalId))!;
      });
    },
  };
}
