/**
 * Starting money movements. The workflow id comes from the environment and the
 * client's Idempotency-Key, so a retried request attaches to the workflow the first
 * one started (running: USE_EXISTING; finished: REJECT_DUPLICATE, then read its result)
 * and never moves money twice. Without a key every request gets a fresh id.
 */
import { randomUUID } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType, TypedSearchAttributes } from '@temporalio/common';
import { DomainError } from '../domain/errors';
import { SEARCH_ATTRIBUTES } from '../domain/types';
import { workflowOutcomes, workflowStarts } from '../observability/metrics';
import { requestContext } from '../observability/request-context';

export interface TemporalDeps {
  client: Client;
  taskQueue: string;
  searchAttributes: boolean;
  syncTimeoutMs: number;
}

export interface MovementRequest<A> {
  kind: 'topup' | 'payment' | 'transfer' | 'refund' | 'withdraw';
  workflowType: string;
  envId: string;
  walletId: string;
  userId: string;
  idempotencyKey: string | undefined;
  args: A;
}

const KEYS = {
  envId: defineSearchAttributeKey(SEARCH_ATTRIBUTES.envId, SearchAttributeType.KEYWORD),
  walletId: defineSearchAttributeKey(SEARCH_ATTRIBUTES.walletId, SearchAttributeType.KEYWORD),
  userId: defineSearchAttributeKey(SEARCH_ATTRIBUTES.userId, SearchAttributeType.KEYWORD),
  kind: defineSearchAttributeKey(SEARCH_ATTRIBUTES.kind, SearchAttributeType.KEYWORD),
};

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export function workflowIdFor(kind: string, envId: string, idempotencyKey: string | undefined): string {
  if (idempotencyKey === undefined) return `${kind}-${envId}-${randomUUID()}`;
  if (!IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new DomainError('invalid_request', 'Idempotency-Key must be 1 to 255 printable ASCII characters without spaces');
  }
  return `${kind}-${envId}-key-${idempotencyKey}`;
}

/** Starts (or attaches to) the movement's workflow and waits for its result, bounded by syncTimeoutMs. */
export async function runMovement<A, R>(deps: TemporalDeps, req: MovementRequest<A>): Promise<{ result: R; workflowId: string }> {
  const workflowId = workflowIdFor(req.kind, req.envId, req.idempotencyKey);
  // The request id goes into the memo (workflows and, through the worker's
  // interceptors, activities log it); the HTTP log line gets the workflow id back.
  const ctx = requestContext.getStore();
  if (ctx) Object.assign(ctx, { workflowId, workflowType: req.workflowType });
  let handle: WorkflowHandle;
  try {
    handle = await deps.client.workflow.start(req.workflowType, {
      taskQueue: deps.taskQueue,
      workflowId,
      args: [req.args],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      memo: {
        envId: req.envId,
        walletId: req.walletId,
        userId: req.userId,
        kind: req.kind,
        ...(ctx ? { requestId: ctx.requestId } : {}),
      },
      ...(deps.searchAttributes
        ? {
            typedSearchAttributes: new TypedSearchAttributes([
              { key: KEYS.envId, value: req.envId },
              { key: KEYS.walletId, value: req.walletId },
              { key: KEYS.userId, value: req.userId },
              { key: KEYS.kind, value: req.kind },
            ]),
          }
        : {}),
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    handle = deps.client.workflow.getHandle(workflowId);
  }
  workflowStarts.inc({ type: req.workflowType });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new DomainError('unavailable', 'the movement is still in progress; retry with the same Idempotency-Key to get its result', {
            workflow_id: workflowId,
          }),
        ),
      deps.syncTimeoutMs,
    );
  });
  try {
    const result = (await Promise.race([handle.result(), timeout])) as R;
    workflowOutcomes.inc({ type: req.workflowType, outcome: 'completed' });
    return { result, workflowId };
  } catch (err) {
    workflowOutcomes.inc({ type: req.workflowType, outcome: outcomeOf(err) });
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** A bounded label: the refusal's code for a business failure, else timeout or error. */
function outcomeOf(err: unknown): string {
  if (err instanceof DomainError) return err.code === 'unavailable' ? 'timeout' : err.code;
  const cause = (err as { cause?: { type?: unknown } })?.cause;
  return typeof cause?.type === 'string' ? `failed_${cause.type}` : 'error';
}
