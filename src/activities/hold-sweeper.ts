/**
 * The hold sweeper's activities (issue 10, part 3). A withdraw workflow that is terminated,
 * times out or overflows its history closes without its compensation: its hold stays.
 * `listStrandedHolds` pages through the withdrawals still holding money and describes each
 * one's workflow through the Temporal client; `sweepStrandedHold` ends a stranded one:
 *   - no transfer was ever attempted (status `awaiting_onboarding`: the workflow records
 *     `processing` before it schedules the transfer) → release (status `failed`);
 *   - otherwise money may have left (a transfer may exist at Stripe even without a recorded
 *     id) → `needs_attention` with the merchant event, the metric and the console list.
 * Payment authorizations (`"capture": false`) too: a terminated payment workflow never runs
 * its expiry timer, so its hold would stay forever (its order `authorized`, nothing able to
 * capture or void it). `listExpiredAuthorizations` pages through the authorizations past
 * their expires_at whose workflow is not running; `releaseExpiredAuthorization` voids each
 * (reason `expired`) exactly as the workflow's timer would have: past expires_at no capture
 * can succeed (the database's clock refuses it), so a void is the only outcome left, and it
 * is posted under the workflow's own `:void` idempotency id.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { withTransaction, type Pool } from '../db/pool';
import { listHoldingWithdrawals, lockWithdrawal, nextWithdrawalSeq } from '../db/queries/withdrawals';
import { IN_FLIGHT_STATUSES } from '../domain/withdrawals';
import { strandedHolds } from '../observability/metrics';
import { finishLocked, markNeedsAttention } from './withdrawals';
import { ledgerStepId } from '../domain/postings';
import { authorizationExpiredAt, listExpiredAuthorizations, lockOrder } from '../db/queries/orders';
import { releaseWholeHold } from './authorizations';

/** A closed workflow's status as describe() names it, or NOT_FOUND (gone past retention). */
export type ClosedStatus = 'FAILED' | 'CANCELLED' | 'TERMINATED' | 'TIMED_OUT' | 'CONTINUED_AS_NEW' | 'NOT_FOUND';

export interface StrandedHold {
  withdrawalId: string;
  workflowId: string;
  workflowStatus: ClosedStatus;
}

/** An authorization past its expiry whose payment workflow is not running. */
export interface ExpiredAuthorization {
  orderId: string;
  workflowId: string;
  workflowStatus: ClosedStatus | 'COMPLETED';
}

export interface SweeperDeps {
  pool: Pool;
  /** How to read a workflow's status; default: the worker's client from the activity context. */
  describeWorkflow?: (workflowId: string) => Promise<string>;
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; code?: number } | null;
  return e?.name === 'WorkflowNotFoundError' || e?.code === 5;
}

/** The workflow's status name (RUNNING, COMPLETED, TERMINATED, …), or NOT_FOUND. */
export async function describeWithClient(client: Client, workflowId: string): Promise<string> {
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    return description.status.name;
  } catch (err) {
    if (isNotFound(err)) return 'NOT_FOUND';
    throw err;
  }
}

export function createSweeperActivities({ pool, describeWorkflow }: SweeperDeps) {
  const describe = describeWorkflow ?? ((workflowId: string) => describeWithClient(Context.current().client, workflowId));
  return {
    /** One page of in-flight withdrawals (by id after `afterId`) whose workflow is closed and not completed. */
    async listStrandedHolds(input: { afterId: string | null; limit: number }): Promise<{ stranded: StrandedHold[]; nextAfterId: string | null }> {
      const page = await listHoldingWithdrawals(pool, input.afterId, input.limit);
      const stranded: StrandedHold[] = [];
      for (const w of page) {
        const status = await describe(w.workflowId);
        if (status === 'RUNNING' || status === 'COMPLETED') continue;
        stranded.push({ withdrawalId: w.id, workflowId: w.workflowId, workflowStatus: status as ClosedStatus });
      }
      return { stranded, nextAfterId: page.length === input.limit ? page.at(-1)!.id : null };
    },

    /**
     * Ends one stranded hold, in one SQL transaction holding the withdrawal's row lock:
     * it checks again that the withdrawal still holds money (another sweep, or an
     * operator, may have ended it) and that its workflow is still closed (the listing may
     * be minutes old: a workflow reset since then runs again and may be scheduling the
     * transfer), and decides on the status read under that lock. Answers what it did.
     */
    async sweepStrandedHold(input: StrandedHold): Promise<'released' | 'needs_attention' | 'nothing'> {
      const outcome = await withTransaction(pool, async (client) => {
        const current = await lockWithdrawal(client, input.withdrawalId);
        if (!current || !IN_FLIGHT_STATUSES.includes(current.status)) return 'nothing' as const;
        // Under the lock, no workflow step of this withdrawal can commit (each locks the row).
        const status = await describe(input.workflowId);
        if (status === 'RUNNING' || status === 'COMPLETED') return 'nothing' as const;
        const detail = { workflow_id: input.workflowId, workflow_status: status.toLowerCase() };
        if (current.status === 'awaiting_onboarding') {
          // No transfer was scheduled: the money is still on the platform. Release it.
          await finishLocked(client, current, {
            withdrawalId: current.id,
            seq: await nextWithdrawalSeq(client, current.id),
            outcome: 'release',
            // The id the withdraw workflow would have posted its release under: the hold ends once.
            idempotencyId: ledgerStepId(current.workflowId, 'release'),
            status: 'failed',
            step: 'funds_released',
            detail: { ...detail, reason: 'workflow_closed' },
            failureCode: 'workflow_closed',
            failureMessage: `the withdraw workflow closed (${detail.workflow_status}) before any money left; the hold was released by the sweeper`,
          });
          return 'released' as const;
        }
        const marked = await markNeedsAttention(client, {
          withdrawalId: current.id,
          step: 'needs_attention',
          reason: 'workflow_closed',
          detail,
          failureMessage: `the withdraw workflow closed (${detail.workflow_status}) after the transfer was scheduled; money may have left`,
        });
        return marked ? ('needs_attention' as const) : ('nothing' as const);
      });
      if (outcome !== 'nothing') strandedHolds.inc({ action: outcome });
      return outcome;
    },

    /**
     * One page of authorizations past expires_at (by id after `afterId`) whose payment
     * workflow is not running. A running one voids itself on its timer: left alone.
     */
    async listExpiredAuthorizations(input: { afterId: string | null; limit: number }): Promise<{ expired: ExpiredAuthorization[]; nextAfterId: string | null }> {
      const page = await listExpiredAuthorizations(pool, input.afterId, input.limit);
      const expired: ExpiredAuthorization[] = [];
      for (const a of page) {
        const status = await describe(a.workflowId);
        if (status === 'RUNNING') continue;
        expired.push({ ...a, workflowStatus: status as ExpiredAuthorization['workflowStatus'] });
      }
      return { expired, nextAfterId: page.length === input.limit ? page.at(-1)!.orderId : null };
    },

    /**
     * Voids one expired authorization whose workflow is gone, in one SQL transaction under
     * the order's row lock (every transition of an authorization takes it): still
     * `authorized`, still past expires_at by the database's clock, and its workflow still
     * not running (read again: a reset since the listing runs it again, and its own timer
     * will void it), else nothing. The void is the workflow's own (`releaseWholeHold`,
     * reason `expired`, its `:void` idempotency id, `payment.voided`).
     */
    async releaseExpiredAuthorization(input: ExpiredAuthorization): Promise<'released' | 'nothing'> {
      const outcome = await withTransaction(pool, async (client) => {
        const order = await lockOrder(client, input.orderId);
        if (!order || order.status !== 'authorized' || !(await authorizationExpiredAt(client, order.id))) return 'nothing' as const;
        if ((await describe(input.workflowId)) === 'RUNNING') return 'nothing' as const;
        await releaseWholeHold(client, order, { workflowId: input.workflowId, reason: 'expired', decisionId: null });
        return 'released' as const;
      });
      if (outcome === 'released') strandedHolds.inc({ action: 'authorization_released' });
      return outcome;
    },
  };
}
