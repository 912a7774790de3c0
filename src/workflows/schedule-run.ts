/**
 * scheduleRun: the action of every merchant schedule's Temporal Schedule
 * (`paynocchio-schedule-<id>`, src/api/schedules-temporal.ts). One run = one scheduled
 * time:
 *
 *   beginScheduleRun (claim the run row; a paused/ended schedule moves nothing)
 *   → the ordinary movement workflow as a child, id `scheduled-<kind>-<env>-<schedule>-<time>`
 *     (payment, transfer; withdraw: started and followed until its hold is taken)
 *   → finishScheduleRun (outcome, refusal count, `schedule.run_failed`, self-pause)
 *   → pause (or delete) the Temporal Schedule when the row says so.
 *
 * The scheduled time comes from the run's TemporalScheduledStartTime search attribute,
 * so the child's id, and with it the ledger's idempotency id (`<id>:charge`,
 * `:transfer`, `:hold`), is the same however often this run is retried, reset or
 * started again for that time: the money moves at most once per scheduled time.
 *
 * Overlap policy CANCEL_OTHER (latest missed run wins, README): a cancel that arrives
 * before the movement starts ends the run as `skipped` (`superseded`); once the
 * movement has started the run is not cancellable and finishes.
 */
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  condition,
  executeChild,
  proxyActivities,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { ChildWorkflowOptions } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';

type ChildOptions = Omit<ChildWorkflowOptions, 'typeInfo'>;
import { BUSINESS_ERROR_CODES, type ErrorCode } from '../domain/errors';
import {
  ACCOUNT_NOT_ONBOARDED,
  scheduledMovementWorkflowId,
  temporalScheduleId,
  toScheduledSecond,
  type RunOutcome,
  type Schedule,
  type ScheduleRunInput,
  type ScheduleRunResult,
} from '../domain/schedules';
import type { PaymentInput, TransferInput } from '../domain/types';
import type { WithdrawInput } from '../domain/withdrawals';
import { workflowTags } from '../temporal/workflow-tags';
import { database } from './options';
import { payment } from './payment';
import { transfer } from './transfer';
import { withdraw } from './withdraw';

/** Temporal Schedule control (pause, delete): ordinary activities through the worker's client, bounded. */
const control = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/** How long a scheduled withdraw's run follows the child until its hold exists (seconds, one check a second). */
const WITHDRAW_HOLD_WAIT_SECONDS = 300;
/** How long a run whose movement id was used already looks for that movement's outcome (seconds). */
const ALREADY_RAN_WAIT_SECONDS = 30;

interface Outcome {
  outcome: Exclude<RunOutcome, 'running'>;
  movementId: string | null;
  code: string | null;
  message: string | null;
}

/** The run's scheduled time: given by hand, else the one Temporal's scheduler set. */
function scheduledTime(input: ScheduleRunInput): string {
  if (input.scheduledAt) return toScheduledSecond(new Date(input.scheduledAt));
  const info = workflowInfo();
  const typed = info.typedSearchAttributes.get(SCHEDULED_START);
  if (typed) return toScheduledSecond(typed);
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const raw = (info.searchAttributes as Record<string, unknown[] | undefined> | undefined)?.TemporalScheduledStartTime?.[0];
  if (raw !== undefined) return toScheduledSecond(new Date(raw as string));
  throw ApplicationFailure.create({
    type: 'invalid_request',
    message: 'scheduleRun needs a scheduled time: started by its Temporal Schedule, or with scheduledAt',
    nonRetryable: true,
  });
}

/** A refusal (business code) or a failure for good, from a child workflow's failure. */
function outcomeOfFailure(err: unknown): Outcome {
  const cause = err instanceof ChildWorkflowFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure && cause.type && BUSINESS_ERROR_CODES.includes(cause.type as ErrorCode)) {
    return { outcome: 'refused', movementId: null, code: cause.type, message: cause.message };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { outcome: 'failed', movementId: null, code: 'internal', message: `the movement's workflow failed: ${message}` };
}

export async function scheduleRun(input: ScheduleRunInput): Promise<ScheduleRunResult> {
  const root = CancellationScope.current();
  const scheduledAt = scheduledTime(input);
  const { workflowId } = workflowInfo();
  const result = (o: Outcome, paused = false): ScheduleRunResult => ({ scheduledAt, outcome: o.outcome, movementId: o.movementId, code: o.code, paused });

  return CancellationScope.nonCancellable(async () => {
    const begun = await database.beginScheduleRun({ scheduleId: input.scheduleId, scheduledAt, workflowId });
    if (begun.action === 'done') {
      const r = begun.run;
      return result({ outcome: r.outcome === 'running' ? 'failed' : r.outcome, movementId: r.movementId, code: r.code, message: r.message });
    }
    if (begun.action === 'inactive') {
      // The row is the truth: bring the Temporal Schedule in line (pause, or delete when ended or gone).
      await control.controlTemporalSchedule({
        temporalScheduleId: begun.temporalScheduleId ?? temporalScheduleId(input.scheduleId),
        action: begun.status === 'paused' ? 'pause' : 'delete',
        note: `the schedule is ${begun.status} (a run found it so)`,
      });
      return result({ outcome: 'skipped', movementId: null, code: `schedule_${begun.status}`, message: null });
    }
    const schedule = begun.schedule;
    const childId = scheduledMovementWorkflowId(schedule.kind, schedule.envId, schedule.id, scheduledAt);

    let outcome: Outcome;
    if (root.consideredCancelled) {
      // A later run superseded this one before it moved anything (overlap policy CANCEL_OTHER).
      outcome = { outcome: 'skipped', movementId: null, code: 'superseded', message: 'a later run of the schedule superseded this one before it started' };
    } else {
      outcome = await runMovement(schedule, childId, input.searchAttributes ?? false, begun.withdrawWaits ?? {});
    }
    const finished = await database.finishScheduleRun({
      scheduleId: schedule.id,
      scheduledAt,
      outcome: outcome.outcome,
      movementId: outcome.movementId,
      movementWorkflowId: outcome.outcome === 'skipped' ? null : childId,
      code: outcome.code,
      message: outcome.message,
    });
    if (finished.paused && finished.temporalScheduleId) {
      await control.controlTemporalSchedule({
        temporalScheduleId: finished.temporalScheduleId,
        action: 'pause',
        note: 'paused by Paynocchio after refused runs in a row (resume with POST /wallet/schedules/{id}/resume)',
      });
    }
    return result(outcome, finished.paused);
  });
}

async function runMovement(
  s: Schedule,
  childId: string,
  searchAttributes: boolean,
  waits: Pick<WithdrawInput, 'onboardingTimeoutMs' | 'payoutPollIntervalMs' | 'payoutTimeoutMs' | 'maxLinkRefreshes'>,
): Promise<Outcome> {
  const options: ChildOptions & { workflowId: string } = {
    workflowId: childId,
    // A movement id is never reused: a second start for the same run finds it instead.
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    // The movement outlives nothing but its own run: a withdraw goes on after this run ends.
    parentClosePolicy: ParentClosePolicy.ABANDON,
    // The child's kind is its workflow type (payment, transfer, withdraw).
    ...workflowTags(s.kind, { envId: s.envId, walletId: s.walletId, userId: s.userId }, { searchAttributes, memo: { scheduleId: s.id } }),
  };
  /**
   * The movement's id was used already (this run re-run for the same time): read what it
   * did. It may still be running (another run for this time started it), so look again
   * each second for a while before calling it failed.
   */
  const found = async (): Promise<Outcome> => {
    for (let second = 0; ; second++) {
      const m = await database.findScheduledMovement({ kind: s.kind, workflowId: childId });
      if (m && !m.pending) {
        if (m.failureCode) return { outcome: m.failureCode === 'internal' ? 'failed' : 'refused', movementId: m.movementId, code: m.failureCode, message: null };
        return { outcome: 'succeeded', movementId: m.movementId, code: null, message: null };
      }
      if (second >= ALREADY_RAN_WAIT_SECONDS) {
        return { outcome: 'failed', movementId: m?.movementId ?? null, code: 'internal', message: `the movement ${childId} already ran and left no finished record` };
      }
      await sleep('1s');
    }
  };
  try {
    if (s.kind === 'payment') {
      const args: PaymentInput = { envId: s.envId, walletId: s.walletId, userId: s.userId, productId: s.productId!, amount: s.amount, currency: s.currency };
      const paid = await executeChild(payment, { ...options, args: [args] });
      return { outcome: 'succeeded', movementId: paid.order.id, code: null, message: null };
    }
    if (s.kind === 'transfer') {
      const args: TransferInput = {
        envId: s.envId,
        fromWalletId: s.walletId,
        toWalletId: s.toWalletId!,
        amount: s.amount,
        currency: s.currency,
        reference: `schedule:${s.id}`,
      };
      const moved = await executeChild(transfer, { ...options, args: [args] });
      return { outcome: 'succeeded', movementId: moved.transfer.id, code: null, message: null };
    }
    return await runWithdraw(s, childId, options, waits);
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return found();
    if (err instanceof ChildWorkflowFailure) return outcomeOfFailure(err);
    throw err;
  }
}

/**
 * A scheduled withdraw: only for a user whose Stripe account can already receive payouts
 * (nobody is there to follow an onboarding link), else refused `account_not_onboarded`.
 * The withdraw workflow runs as an abandoned child; this run ends once its hold is taken
 * (succeeded, the withdrawal's id) or the hold is refused (the child's code).
 */
async function runWithdraw(
  s: Schedule,
  childId: string,
  options: ChildOptions,
  waits: Pick<WithdrawInput, 'onboardingTimeoutMs' | 'payoutPollIntervalMs' | 'payoutTimeoutMs' | 'maxLinkRefreshes'>,
): Promise<Outcome> {
  if (!(await database.scheduledWithdrawReady({ envId: s.envId, userId: s.userId }))) {
    return {
      outcome: 'refused',
      movementId: null,
      code: ACCOUNT_NOT_ONBOARDED,
      message: "the user's Stripe account cannot receive payouts yet: onboard it with one POST /wallet/withdraw first",
    };
  }
  const args: WithdrawInput = { envId: s.envId, walletId: s.walletId, userId: s.userId, amount: s.amount, currency: s.currency, ...waits };
  const child = await startChild(withdraw, { ...options, args: [args] });
  let ended: { error: unknown } | null = null;
  child.result().then(
    () => (ended = { error: null }),
    (error: unknown) => (ended = { error }),
  );
  for (let second = 0; ; second++) {
    const m = await database.findScheduledMovement({ kind: 'withdraw', workflowId: childId });
    if (m) return { outcome: 'succeeded', movementId: m.movementId, code: null, message: null };
    const end = ended as { error: unknown } | null;
    if (end) {
      // Ended without a withdrawal row: the hold was refused (or the workflow failed before it).
      return end.error ? outcomeOfFailure(end.error) : { outcome: 'failed', movementId: null, code: 'internal', message: 'the withdraw workflow ended without a withdrawal' };
    }
    if (second >= WITHDRAW_HOLD_WAIT_SECONDS) {
      return { outcome: 'failed', movementId: null, code: 'internal', message: `the withdrawal ${childId} took no hold within ${WITHDRAW_HOLD_WAIT_SECONDS} s` };
    }
    await condition(() => ended !== null, '1s');
  }
}
