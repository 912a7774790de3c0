/**
 * Schedules (issue 13, section 1): money that moves on a calendar. The shapes the API,
 * the schedule-run workflow and its activities exchange. Plain JSON.
 */
import type { Currency } from './money';

export const SCHEDULE_KINDS = ['payment', 'transfer', 'withdraw'] as const;
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

export const SCHEDULE_STATUSES = ['active', 'paused', 'ended'] as const;
export type ScheduleStatus = (typeof SCHEDULE_STATUSES)[number];

/** succeeded: the movement happened (withdraw: the amount is held and the withdrawal started). */
export const RUN_OUTCOMES = ['running', 'succeeded', 'refused', 'failed', 'skipped'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

export interface Schedule {
  id: string;
  envId: string;
  walletId: string;
  userId: string;
  kind: ScheduleKind;
  /** Minor units. */
  amount: string;
  currency: Currency;
  productId: string | null;
  toWalletId: string | null;
  cron: string | null;
  everySeconds: number | null;
  timezone: string | null;
  startAt: string | null;
  endAt: string | null;
  status: ScheduleStatus;
  statusReason: string | null;
  consecutiveFailures: number;
  temporalScheduleId: string;
  createdAt: string;
  updatedAt: string;
}

export interface ScheduleRun {
  scheduleId: string;
  scheduledAt: string;
  workflowId: string;
  outcome: RunOutcome;
  movementId: string | null;
  movementWorkflowId: string | null;
  code: string | null;
  message: string | null;
  createdAt: string;
  finishedAt: string | null;
}

/** The Temporal Schedule of a schedule row. */
export function temporalScheduleId(scheduleId: string): string {
  return `paynocchio-schedule-${scheduleId}`;
}

/** The schedule's action workflow id; Temporal appends `-<scheduled time>` to each run's. */
export function scheduleRunWorkflowPrefix(scheduleId: string): string {
  return `schedule-run-${scheduleId}`;
}

/**
 * The movement's workflow id, and so (through `<id>:charge`, `:transfer`, `:hold`) the
 * ledger's idempotency id: the schedule id and the run's scheduled time (whole seconds,
 * as in Temporal's own run ids). Two runs for the same time cannot both move money.
 */
export function scheduledMovementWorkflowId(kind: ScheduleKind, envId: string, scheduleId: string, scheduledAt: string): string {
  return `scheduled-${kind}-${envId}-${scheduleId}-${scheduledAt}`;
}

/** An instant as Temporal names run ids: RFC 3339 in UTC, whole seconds (2026-01-05T09:00:00Z). */
export function toScheduledSecond(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** What the schedule-run workflow is started with (the Temporal Schedule's action args). */
export interface ScheduleRunInput {
  scheduleId: string;
  envId: string;
  /** Set typed search attributes on the movement's workflow (TEMPORAL_SEARCH_ATTRIBUTES). */
  searchAttributes?: boolean;
  /** Only for a run started by hand: the schedule's own runs read TemporalScheduledStartTime. */
  scheduledAt?: string;
}

export interface ScheduleRunResult {
  scheduledAt: string;
  outcome: RunOutcome;
  movementId: string | null;
  code: string | null;
  /** The schedule paused itself after this run (SCHEDULE_PAUSE_AFTER_FAILURES in a row). */
  paused: boolean;
}

/** Refusal code of a scheduled withdraw whose user has no Stripe account able to receive payouts. */
export const ACCOUNT_NOT_ONBOARDED = 'account_not_onboarded';
