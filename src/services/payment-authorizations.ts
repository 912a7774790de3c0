/**
 * Authorize now, capture later (issue 12, part 2): what the routes call. The payment
 * workflow owns each authorization; this module starts it (update-with-start: the answer
 * comes once the hold is placed, not when it ends) and sends it its capture and void
 * updates, after the checks that need no workflow (the order exists here, is an
 * authorization still waiting, the amount fits). The workflow and, under the order's row
 * lock, the database decide again (src/workflows/payment-authorization.ts).
 */
import { randomUUID } from 'node:crypto';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type WorkflowHandle,
} from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { assertCapturable, orderNotAuthorized } from '../domain/authorizations';
import { DomainError } from '../domain/errors';
import { parseAmount } from '../domain/money';
import type { Order, PaymentInput, PaymentResult } from '../domain/types';
import type { Pool } from '../db/pool';
import { findOrderByWorkflow, findOrderDecision } from '../db/queries/orders';
import { getWallets } from '../db/queries/wallets';
import type { Idempotency } from '../api/idempotency';
import { failedForGood, KEYS, withinSyncTimeout, workflowIdFor, type TemporalDeps } from '../api/temporal';
import { workflowStarts } from '../observability/metrics';
import { requestContext } from '../observability/request-context';
import { authorizationUpdate, captureUpdate, voidUpdate } from '../workflows/payment-messages';

export interface AuthorizationDeps {
  pool: Pool;
  temporal: TemporalDeps;
}

type Authorize = PaymentInput & { authorization: { ttlSeconds: number } };

const STILL_RUNNING = 'the authorization is still in progress; retry with the same Idempotency-Key to get its result';

/**
 * Starts (or attaches to) the payment workflow of an authorization and answers once the
 * hold is placed: order `authorized`, wallet with `held`. A refusal (insufficient funds, a
 * wallet not active, a spend limit) comes back with its code. The same Idempotency-Key
 * attaches to the same workflow; once that workflow has ended, its order is answered as
 * it is now (or its refusal).
 */
export async function authorizePayment(deps: AuthorizationDeps, input: Authorize, idem: Idempotency): Promise<{ result: PaymentResult; workflowId: string }> {
  const { temporal } = deps;
  const workflowId = workflowIdFor('payment', input.envId, idem.idempotencyKey, idem.requestHash);
  const ctx = requestContext.getStore();
  if (ctx) Object.assign(ctx, { workflowId, workflowType: 'payment' });
  const operation = new WithStartWorkflowOperation('payment', {
    taskQueue: temporal.taskQueue,
    workflowId,
    args: [input] as [PaymentInput],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    workflowTaskTimeout: '3s',
    memo: { envId: input.envId, walletId: input.walletId, userId: input.userId, kind: 'payment', ...(ctx?.requestId ? { requestId: ctx.requestId } : {}) },
    ...(temporal.searchAttributes
      ? {
          typedSearchAttributes: new TypedSearchAttributes([
            { key: KEYS.envId, value: input.envId },
            { key: KEYS.walletId, value: input.walletId },
            { key: KEYS.userId, value: input.userId },
            { key: KEYS.kind, value: 'payment' },
          ]),
        }
      : {}),
  });
  try {
    const result = await withinSyncTimeout(temporal, workflowId, STILL_RUNNING, () =>
      temporal.client.workflow.executeUpdateWithStart(authorizationUpdate, { startWorkflowOperation: operation }),
    );
    workflowStarts.inc({ type: 'payment' });
    return { result, workflowId };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw failedForGood(err, workflowId);
    // The workflow of this key has ended: answer its order as it is now, or its refusal.
    const order = await findOrderByWorkflow(deps.pool, workflowId);
    if (!order || order.status === 'failed') {
      await temporal.client.workflow
        .getHandle(workflowId)
        .result()
        .catch((e: unknown) => Promise.reject(failedForGood(e, workflowId)));
      throw err;
    }
    return { result: await withWallet(deps.pool, order), workflowId };
  }
}

export interface OrderDecision {
  envId: string;
  orderId: string;
  idem: Idempotency;
}

/**
 * Captures all (`amount` absent) or part of an authorization; the rest is released. 404
 * for an order not of this environment, 409 `order_not_authorized` for one that is not an
 * authorization waiting (captured, voided, expired, a payment captured at once), 409
 * `authorization_expired` past expires_at, 422 `amount_exceeds_authorization`.
 */
export async function captureAuthorization(deps: AuthorizationDeps, req: OrderDecision & { amount: string | undefined }) {
  return decide(deps, req, 'capture', (order) => {
    const amount = req.amount === undefined ? null : parseAmount(req.amount, order.currency);
    if (amount !== null) assertCapturable(order, amount);
    return (handle, decisionId) =>
      handle.executeUpdate(captureUpdate, { updateId: decisionId, args: [{ amount: amount === null ? null : amount.toString(), decisionId }] });
  });
}

/** Releases the whole hold: order `voided` (reason `requested`). Same refusals as a capture. */
export async function voidAuthorization(deps: AuthorizationDeps, req: OrderDecision) {
  return decide(deps, req, 'void', () => (handle, decisionId) => handle.executeUpdate(voidUpdate, { updateId: decisionId, args: [{ decisionId }] }));
}

type Send = (handle: WorkflowHandle, decisionId: string) => Promise<PaymentResult>;

/**
 * The order must be this environment's and `authorized` (checked here, then by the
 * workflow's validator, then under the order's row lock). The update's id is the decision
 * id recorded on the order: the same for requests retried with one Idempotency-Key, so a
 * twin (or a retry after the workflow ended) that finds the order decided by its own
 * decision answers it instead of 409.
 */
async function decide(
  deps: AuthorizationDeps,
  req: OrderDecision,
  step: 'capture' | 'void',
  prepare: (order: Order) => Send,
): Promise<{ result: PaymentResult; workflowId: string }> {
  const decisionId = req.idem.idempotencyKey === undefined ? `${step}-${randomUUID()}` : `${step}-key-${req.idem.requestHash!.slice(0, 32)}`;
  const found = await findOrderDecision(deps.pool, req.envId, req.orderId);
  if (!found) throw new DomainError('not_found', `order ${req.orderId} not found`, { order_id: req.orderId });
  const { order, workflowId } = found;
  const ctx = requestContext.getStore();
  if (ctx) Object.assign(ctx, { workflowId, workflowType: 'payment' });
  const decided = async (now: typeof found): Promise<{ result: PaymentResult; workflowId: string }> => {
    if (now.decisionId === decisionId) return { result: await withWallet(deps.pool, now.order), workflowId };
    if (now.order.status !== 'authorized') throw orderNotAuthorized(now.order);
    // Authorized, and its workflow gone (terminated): nothing can decide it but an operator.
    throw new DomainError('conflict', `the workflow of order ${now.order.id} has ended without deciding its authorization`, {
      order_id: now.order.id,
      workflow_id: workflowId,
    });
  };
  if (order.status !== 'authorized') return decided(found);
  const send = prepare(order);
  const handle = deps.temporal.client.workflow.getHandle(workflowId);
  try {
    const result = await withinSyncTimeout(deps.temporal, workflowId, `the ${step} is still in progress; retry with the same Idempotency-Key to get its result`, () =>
      send(handle, decisionId),
    );
    return { result, workflowId };
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw failedForGood(err, workflowId);
    // The workflow has ended since the order was read: decided (or expired) meanwhile.
    return decided((await findOrderDecision(deps.pool, req.envId, req.orderId))!);
  }
}

async function withWallet(pool: Pool, order: Order): Promise<PaymentResult> {
  const [wallet] = await getWallets(pool, order.envId, [order.walletId]);
  return { order, wallet: wallet! };
}
