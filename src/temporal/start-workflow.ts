/**
 * The one place workflows are started from a client (API, worker services, admin): the
 * workflow id rules, the id policies, memo and search attributes (workflow-tags.ts, with
 * the request id of the HTTP request being served), the workflow task timeout, eager
 * start, update-with-start and the Temporal Schedules' start actions.
 *
 * Workflows are named by their exported function, checked against src/workflows/index.ts
 * through a type-only import: a misspelt type or a wrong argument fails `tsc`, and no
 * workflow code is loaded outside the worker's bundle.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
  type Client,
  type ScheduleOptionsStartWorkflowAction,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Duration, UpdateDefinition } from '@temporalio/common';
import { DomainError } from '../domain/errors';
import { workflowStarts } from '../observability/metrics';
import { requestContext } from '../observability/request-context';
import type * as workflows from '../workflows';
import { workflowTags, type WorkflowSubject } from './workflow-tags';

export type Workflows = typeof workflows;
export type WorkflowType = keyof Workflows;
export type WorkflowArgs<K extends WorkflowType> = Parameters<Workflows[K]>;
export type WorkflowResult<K extends WorkflowType> = Awaited<ReturnType<Workflows[K]>>;

/** What a starter needs: the API's TemporalDeps is one, the worker services build one. */
export interface StartDeps {
  client: Client;
  taskQueue: string;
  /** TEMPORAL_SEARCH_ATTRIBUTES: write typed search attributes (else only the memo). */
  searchAttributes: boolean;
  /**
   * Ask the server to hand the first workflow task straight back to a worker sharing
   * this client's NativeConnection (eager start): saves a task-queue round trip. Only
   * set it when such a worker runs in this process (src/main.ts); the SDK refuses it
   * on any other connection. Plain starts only (update-with-start has no eager form).
   */
  eagerStart?: boolean;
}

export interface StartRequest<K extends WorkflowType> {
  workflowId: string;
  args: WorkflowArgs<K>;
  subject: WorkflowSubject;
  /** Memo entries beside the subject and the request id (schedule id, delivery id, purpose). */
  memo?: Record<string, string | undefined>;
  /**
   * Default false: a closed workflow's id is never started again (REJECT_DUPLICATE), so a
   * repeated start finds the first one's result. True for a workflow that ends when idle
   * and is started again under its id (walletPayments).
   */
  restartable?: boolean;
  executionTimeout?: Duration;
}

/**
 * A workflow task here is a few local activities of milliseconds each. If the worker
 * holding it dies, the server hands the task to another worker only after this timeout
 * (Temporal's default: 10 s): short, so a worker crash costs a client seconds, not ten.
 */
export const WORKFLOW_TASK_TIMEOUT = '3s';

/** The options of every start from a client, with the id policies of an idempotent start. */
export function startOptions<K extends WorkflowType>(deps: StartDeps, type: K, req: StartRequest<K>): WorkflowStartOptions<Workflows[K]> & { workflowIdConflictPolicy: 'USE_EXISTING' } {
  // Started while serving an HTTP request: its id goes into the memo (workflows and,
  // through the worker's interceptors, activities log it) and the request's log line
  // gets the workflow back (workflow_id, workflow_url).
  const ctx = requestContext.getStore();
  if (ctx) Object.assign(ctx, { workflowId: req.workflowId, workflowType: type });
  const requestId = ctx?.requestId;
  return {
    taskQueue: deps.taskQueue,
    workflowId: req.workflowId,
    args: req.args,
    // A start for a running id attaches to it; a closed one is not run again.
    workflowIdConflictPolicy: 'USE_EXISTING',
    ...(req.restartable ? {} : { workflowIdReusePolicy: 'REJECT_DUPLICATE' as const }),
    workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
    ...(req.executionTimeout !== undefined ? { workflowExecutionTimeout: req.executionTimeout } : {}),
    ...workflowTags(type, req.subject, { searchAttributes: deps.searchAttributes, memo: { ...req.memo, requestId } }),
  } as WorkflowStartOptions<Workflows[K]> & { workflowIdConflictPolicy: 'USE_EXISTING' };
}

/**
 * Starts the workflow, or attaches to the one its id already names (running, or closed:
 * its handle reads the first run's result). Counted in paynocchio_workflow_starts_total.
 */
export async function startWorkflow<K extends WorkflowType>(deps: StartDeps, type: K, req: StartRequest<K>): Promise<WorkflowHandle<Workflows[K]>> {
  const options = { ...startOptions(deps, type, req), ...(deps.eagerStart ? { requestEagerStart: true } : {}) };
  let handle: WorkflowHandle<Workflows[K]>;
  try {
    handle = await deps.client.workflow.start<Workflows[K]>(type, options);
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    handle = deps.client.workflow.getHandle<Workflows[K]>(req.workflowId);
  }
  workflowStarts.inc({ type });
  return handle;
}

/**
 * Sends an Update to the workflow, starting it first if its id names no running one
 * (USE_EXISTING). A closed workflow under a non-restartable id throws
 * WorkflowExecutionAlreadyStartedError for the caller to answer from what it recorded.
 * The server rejects an update its worker's task did not process (type
 * UnprocessedUpdate: seen under concurrent update-with-start while a workflow task was in
 * flight); nothing of it ran, so it is sent again (same update id), at most 5 times.
 */
export async function executeUpdateWithStart<K extends WorkflowType, Ret, Args extends unknown[]>(
  deps: StartDeps,
  type: K,
  req: StartRequest<K>,
  update: UpdateDefinition<Ret, Args>,
  call: { args: Args; updateId?: string },
): Promise<Ret> {
  const options = startOptions(deps, type, req);
  workflowStarts.inc({ type });
  for (let attempt = 1; ; attempt++) {
    try {
      // An operation is used once: each attempt gets its own.
      const startWorkflowOperation = new WithStartWorkflowOperation<Workflows[K]>(type, options);
      return await deps.client.workflow.executeUpdateWithStart(update, {
        ...(call.updateId !== undefined ? { updateId: call.updateId } : {}),
        args: call.args,
        startWorkflowOperation,
      });
    } catch (err) {
      const unprocessed = err instanceof WorkflowUpdateFailedError && (err.cause as { type?: unknown } | undefined)?.type === 'UnprocessedUpdate';
      if (!unprocessed || attempt >= 5) throw err;
    }
  }
}

/**
 * A Temporal Schedule's start action: the same memo and search attributes and task
 * timeout as a start from here. `kind` is the workflow type unless given (a merchant
 * schedule's run carries what it moves).
 */
export function scheduleAction<K extends WorkflowType>(
  deps: Pick<StartDeps, 'taskQueue' | 'searchAttributes'>,
  type: K,
  req: Omit<StartRequest<K>, 'workflowId' | 'restartable'> & { workflowId?: string; kind?: string },
): ScheduleOptionsStartWorkflowAction<Workflows[K]> {
  return {
    type: 'startWorkflow',
    workflowType: type,
    taskQueue: deps.taskQueue,
    ...(req.workflowId !== undefined ? { workflowId: req.workflowId } : {}),
    args: req.args,
    workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
    ...(req.executionTimeout !== undefined ? { workflowExecutionTimeout: req.executionTimeout } : {}),
    ...workflowTags(req.kind ?? type, req.subject, { searchAttributes: deps.searchAttributes, memo: req.memo }),
  } as unknown as ScheduleOptionsStartWorkflowAction<Workflows[K]>;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export function assertIdempotencyKey(idempotencyKey: string): void {
  if (!IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new DomainError('invalid_request', 'Idempotency-Key must be 1 to 255 printable ASCII characters without spaces');
  }
}

/** current_executions.workflow_id in Temporal's Postgres/MySQL schemas is varchar(255). */
export const MAX_WORKFLOW_ID_LENGTH = 255;

/**
 * The id of a workflow a client request starts: `<type>-<env>-key-<Idempotency-Key>`, else
 * `<type>-<env>-<uuid>` (type: the workflow type, `card-topup` for cardTopup). With a request hash the id also carries its first 16 hex digits:
 * a key reused with another body after its row was purged (retention) starts a new
 * workflow instead of attaching to the old one. Same key and same body: same id, so
 * concurrent requests attach to one workflow.
 */
export function workflowIdFor(type: WorkflowType, envId: string, idempotencyKey: string | undefined, requestHash?: string): string {
  const prefix = WORKFLOW_ID_PREFIX[type] ?? type;
  if (idempotencyKey === undefined) return `${prefix}-${envId}-${randomUUID()}`;
  assertIdempotencyKey(idempotencyKey);
  const suffix = requestHash ? `-${requestHash.slice(0, 16)}` : '';
  const id = `${prefix}-${envId}-key-${idempotencyKey}${suffix}`;
  if (id.length <= MAX_WORKFLOW_ID_LENGTH) return id;
  // Temporal on SQL persistence keeps workflow ids in varchar(255) columns: a longer id
  // cannot start (the dev server's SQLite has no such limit). A long key is named by its
  // SHA-256 instead: still one id per key and body, so twins attach as before.
  return `${prefix}-${envId}-keyh-${createHash('sha256').update(idempotencyKey).digest('hex')}${suffix}`;
}

/**
 * Ids are lower case with hyphens (the console recognises `<prefix>-<env>-…` in ledger
 * idempotency ids): a workflow type in camel case gets its id prefix here.
 */
const WORKFLOW_ID_PREFIX: Partial<Record<WorkflowType, string>> = { cardTopup: 'card-topup' };

/** The webhook dispatcher's id for a delivery: a repeated start attaches to the first. */
export function webhookDeliveryWorkflowId(deliveryId: string): string {
  return `webhook-delivery-${deliveryId}`;
}

/** The coalesced payments' workflow of a wallet (PAYMENT_COALESCE). */
export function walletPaymentsWorkflowId(envId: string, walletId: string): string {
  return `wallet-payments-${envId}-${walletId}`;
}

/** A batch of payments run together (PAYMENT_BATCH): a new id each batch, found by PaynocchioPaymentIds. */
export function paymentBatchWorkflowId(envId: string): string {
  return `payment-batch-${envId}-${randomUUID()}`;
}
