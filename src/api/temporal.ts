/**
 * Starting money movements. The workflow id comes from the environment and the
 * client's Idempotency-Key, so a retried request attaches to the workflow the first
 * one started (running: USE_EXISTING; finished: REJECT_DUPLICATE, then read its result)
 * and never moves money twice. Without a key every request gets a fresh id.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  WithStartWorkflowOperation,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure, defineSearchAttributeKey, SearchAttributeType, TypedSearchAttributes } from '@temporalio/common';
import { DATABASE_ERROR, DomainError } from '../domain/errors';
import { SEARCH_ATTRIBUTES } from '../domain/types';
import { workflowOutcomes, workflowStarts } from '../observability/metrics';
import { requestContext } from '../observability/request-context';
import { toDomainError } from './errors';

export interface TemporalDeps {
  client: Client;
  taskQueue: string;
  searchAttributes: boolean;
  syncTimeoutMs: number;
  /**
   * Ask the server to hand the first workflow task straight back to a worker sharing
   * this client's NativeConnection (eager start): saves a task-queue round trip. Only
   * set it when such a worker runs in this process (src/main.ts); the SDK refuses it
   * on any other connection.
   */
  eagerStart?: boolean;
  /** PAYMENT_SINGLE_ACTIVITY=false: payments run as two local activities (input `twoSteps`). */
  paymentTwoSteps?: boolean;
  /**
   * PAYMENT_COALESCE=true: a payment is an Update (id = the payment's workflow id as
   * below) of its wallet's walletPayments workflow, started with the update if needed.
   */
  paymentCoalesce?: boolean;
}

export interface MovementRequest<A> {
  kind: 'topup' | 'payment' | 'transfer' | 'refund' | 'withdraw' | 'batch';
  workflowType: string;
  envId: string;
  /** Memo and search attributes; a batch (many wallets) names none. */
  walletId?: string;
  userId?: string;
  /** The workflow id when the caller needed it first (a batch stores its items under it); else workflowIdFor(...). */
  workflowId?: string;
  idempotencyKey: string | undefined;
  /** Hash of the request (src/api/idempotency.ts), given with the key. */
  requestHash?: string;
  args: A;
}

export const KEYS = {
  envId: defineSearchAttributeKey(SEARCH_ATTRIBUTES.envId, SearchAttributeType.KEYWORD),
  walletId: defineSearchAttributeKey(SEARCH_ATTRIBUTES.walletId, SearchAttributeType.KEYWORD),
  userId: defineSearchAttributeKey(SEARCH_ATTRIBUTES.userId, SearchAttributeType.KEYWORD),
  kind: defineSearchAttributeKey(SEARCH_ATTRIBUTES.kind, SearchAttributeType.KEYWORD),
};

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export function assertIdempotencyKey(idempotencyKey: string): void {
  if (!IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new DomainError('invalid_request', 'Idempotency-Key must be 1 to 255 printable ASCII characters without spaces');
  }
}

/**
 * With a request hash the id also carries its first 16 hex digits: a key reused
 * with another body after its row was purged (retention) starts a new workflow
 * instead of attaching to the old one. Same key and same body: same id, so
 * concurrent requests attach to one workflow.
 */
export function workflowIdFor(kind: string, envId: string, idempotencyKey: string | undefined, requestHash?: string): string {
  if (idempotencyKey === undefined) return `${kind}-${envId}-${randomUUID()}`;
  assertIdempotencyKey(idempotencyKey);
  const suffix = requestHash ? `-${requestHash.slice(0, 16)}` : '';
  const id = `${kind}-${envId}-key-${idempotencyKey}${suffix}`;
  if (id.length <= MAX_WORKFLOW_ID_LENGTH) return id;
  // Temporal on SQL persistence keeps workflow ids in varchar(255) columns: a longer id
  // cannot start (the dev server's SQLite has no such limit). A long key is named by its
  // SHA-256 instead: still one id per key and body, so twins attach as before.
  return `${kind}-${envId}-keyh-${createHash('sha256').update(idempotencyKey).digest('hex')}${suffix}`;
}

/** current_executions.workflow_id in Temporal's Postgres/MySQL schemas is varchar(255). */
export const MAX_WORKFLOW_ID_LENGTH = 255;

/**
 * Starts (or attaches to) the movement's workflow and waits for its result. The whole
 * of it — reaching Temporal included — is bounded by syncTimeoutMs: past that the
 * client gets 503 and, retrying with its Idempotency-Key, the outcome.
 */
export async function runMovement<A, R>(deps: TemporalDeps, req: MovementRequest<A>): Promise<{ result: R; workflowId: string }> {
  const workflowId = req.workflowId ?? workflowIdFor(req.kind, req.envId, req.idempotencyKey, req.requestHash);
  // The request id goes into the memo (workflows and, through the worker's
  // interceptors, activities log it); the HTTP log line gets the workflow id back.
  const ctx = requestContext.getStore();
  if (ctx) Object.assign(ctx, { workflowId, workflowType: req.workflowType });
  try {
    const result = await withinSyncTimeout(
      deps,
      workflowId,
      'the movement is still in progress; retry with the same Idempotency-Key to get its result',
      () =>
        req.kind === 'payment' && deps.paymentCoalesce
          ? payCoalesced<A, R>(deps, req, workflowId, ctx?.requestId)
          : startOrAttach(deps, req, workflowId, ctx?.requestId).then((handle) => {
              workflowStarts.inc({ type: req.workflowType });
              return handle.result() as Promise<R>;
            }),
    );
    workflowOutcomes.inc({ type: req.workflowType, outcome: 'completed' });
    return { result, workflowId };
  } catch (err) {
    workflowOutcomes.inc({ type: req.workflowType, outcome: outcomeOf(err) });
    throw failedForGood(err, workflowId);
  }
}

/**
 * A workflow that failed without a business refusal (a data error Postgres will never
 * accept, a step whose retry budget ran out, a terminated workflow) becomes 500
 * `internal` naming the workflow: the request can never succeed as sent, so it is not
 * a 503 "try again", and the id lets support find what happened. Business refusals
 * (their code on the failure) and everything else pass through unchanged.
 */
export function failedForGood(err: unknown, workflowId: string): unknown {
  if (!(err instanceof WorkflowFailedError || err instanceof WorkflowUpdateFailedError)) return err;
  if (toDomainError(err).code !== 'internal') return err;
  // A data error (database_error) rolled its step back: the request cannot succeed as sent.
  // Anything else (a retry budget spent, a terminated or timed-out workflow) may have ended
  // after a step committed whose answer was lost: the client must not be told to send the
  // same movement again under a new key without looking first.
  const refused = causeChain(err).some((c) => c instanceof ApplicationFailure && c.type === DATABASE_ERROR);
  const domain = new DomainError(
    'internal',
    refused
      ? `the workflow ${workflowId} failed and will not complete: retrying the same request cannot succeed`
      : `the workflow ${workflowId} failed and will not complete; a step may have committed before it ended: ` +
          "check the wallet's history before sending this movement again under a new Idempotency-Key",
    { workflow_id: workflowId, outcome: refused ? 'refused' : 'unknown' },
  );
  // The API's error log keeps what failed (the answer carries only code, message and id).
  return Object.assign(domain, { cause: err });
}

function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e: unknown = err; e && chain.length < 10; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

/**
 * Runs fn's Temporal calls bounded by syncTimeoutMs. Past it the client gets 503
 * `unavailable` (with `message` and the workflow id) and the calls still in flight — a
 * start, an update, or a result's long poll that would otherwise go on until the
 * workflow ends — are cancelled, so a Temporal outage cannot pile up one open call per
 * timed-out request. Retrying with the same Idempotency-Key attaches to the workflow.
 */
export async function withinSyncTimeout<T>(deps: TemporalDeps, workflowId: string, message: string, fn: () => Promise<T>): Promise<T> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new DomainError('unavailable', message, { workflow_id: workflowId }));
      abort.abort();
    }, deps.syncTimeoutMs);
  });
  const run = deps.client.withAbortSignal(abort.signal, fn);
  run.catch(() => undefined); // its rejection after the timeout answered (the abort) is not unhandled
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function startOrAttach<A>(deps: TemporalDeps, req: MovementRequest<A>, workflowId: string, requestId: string | undefined): Promise<WorkflowHandle> {
  try {
    return await deps.client.workflow.start(req.workflowType, {
      taskQueue: deps.taskQueue,
      workflowId,
      args: [req.args],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      // A movement's workflow task is a few local activities of milliseconds each. If the
      // worker holding it dies, the server hands the task to another worker only after
      // this timeout (default 10 s): short, so a crash costs the client seconds, not ten.
      workflowTaskTimeout: '3s',
      ...(deps.eagerStart ? { requestEagerStart: true } : {}),
      memo: {
        envId: req.envId,
        ...(req.walletId !== undefined ? { walletId: req.walletId } : {}),
        ...(req.userId !== undefined ? { userId: req.userId } : {}),
        kind: req.kind,
        ...(requestId ? { requestId } : {}),
      },
      ...(deps.searchAttributes
        ? {
            typedSearchAttributes: new TypedSearchAttributes([
              { key: KEYS.envId, value: req.envId },
              ...(req.walletId !== undefined ? [{ key: KEYS.walletId, value: req.walletId }] : []),
              ...(req.userId !== undefined ? [{ key: KEYS.userId, value: req.userId }] : []),
              { key: KEYS.kind, value: req.kind },
            ]),
          }
        : {}),
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return deps.client.workflow.getHandle(workflowId);
  }
}

/**
 * A coalesced payment: an Update of the wallet's walletPayments workflow, started with
 * the update if it is not running (USE_EXISTING). The update id is the id the payment's
 * own workflow would have had, so a retried request with the same Idempotency-Key is the
 * same update (Temporal answers it again within a run; after a continue-as-new the
 * ledger's order and posting idempotency answer it the same, posting nothing twice).
 * An operator finds the payment by its id among the wallet workflow's updates, and the
 * wallet workflow by the search attribute PaynocchioWalletId.
 */
async function payCoalesced<A, R>(deps: TemporalDeps, req: MovementRequest<A>, paymentId: string, requestId: string | undefined): Promise<R> {
  const start = new WithStartWorkflowOperation('walletPayments', {
    taskQueue: deps.taskQueue,
    workflowId: `wallet-payments-${req.envId}-${req.walletId}`,
    args: [{}],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowTaskTimeout: '3s',
    memo: { envId: req.envId, walletId: req.walletId, userId: req.userId, kind: 'wallet-payments', ...(requestId ? { requestId } : {}) },
    ...(deps.searchAttributes
      ? {
          typedSearchAttributes: new TypedSearchAttributes([
            { key: KEYS.envId, value: req.envId },
            { key: KEYS.walletId, value: req.walletId! },
            { key: KEYS.userId, value: req.userId! },
            { key: KEYS.kind, value: 'wallet-payments' },
          ]),
        }
      : {}),
  });
  workflowStarts.inc({ type: 'walletPayments' });
  // The server rejects an update its worker's task did not process (type UnprocessedUpdate:
  // seen under concurrent update-with-start while a workflow task was in flight). Nothing
  // of it ran, so it is sent again (the same update id), a bounded number of times within
  // the sync timeout.
  for (let attempt = 1; ; attempt++) {
    try {
      const op = attempt === 1 ? start : new WithStartWorkflowOperation('walletPayments', start.options);
      return (await deps.client.workflow.executeUpdateWithStart('pay', { updateId: paymentId, args: [req.args], startWorkflowOperation: op })) as R;
    } catch (err) {
      const unprocessed = err instanceof WorkflowUpdateFailedError && (err.cause as { type?: unknown } | undefined)?.type === 'UnprocessedUpdate';
      if (!unprocessed || attempt >= 5) throw err;
    }
  }
}

/** A bounded label: the refusal's code for a business failure, else timeout or error. */
function outcomeOf(err: unknown): string {
  if (err instanceof DomainError) return err.code === 'unavailable' ? 'timeout' : err.code;
  const cause = (err as { cause?: { type?: unknown } })?.cause;
  return typeof cause?.type === 'string' ? `failed_${cause.type}` : 'error';
}
