/**
 * Running money movements for the API: start (or attach to) the movement's workflow
 * through src/temporal/start-workflow.ts (ids from the environment and the client's
 * Idempotency-Key, so a retried request attaches to the workflow the first one started
 * and never moves money twice) and wait for its result, bounded by the sync timeout.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import { DATABASE_ERROR, DomainError, type ErrorCode } from '../domain/errors';
import type { PaymentInput, PaymentResult } from '../domain/types';
import { paymentBatchSizes, workflowOutcomes } from '../observability/metrics';
import { requestContext, type RequestContext } from '../observability/request-context';
import {
  executeUpdateWithStart,
  paymentBatchWorkflowId,
  startWorkflow,
  walletPaymentsWorkflowId,
  workflowIdFor,
  type StartDeps,
  type WorkflowArgs,
  type WorkflowResult,
  type WorkflowType,
} from '../temporal/start-workflow';
import { payUpdate } from '../workflows/wallet-payments-messages';
import { toDomainError } from './errors';
import type { Idempotency } from './idempotency';
import { BatchNotStarted, PaymentBatcher, type Settled } from './payment-batcher';

export interface TemporalDeps extends StartDeps {
  client: Client;
  syncTimeoutMs: number;
  /** PAYMENT_SINGLE_ACTIVITY=false: payments run as two local activities (input `twoSteps`). */
  paymentTwoSteps?: boolean;
  /**
   * PAYMENT_COALESCE=true: a payment is an Update (id = the payment's workflow id as
   * below) of its wallet's walletPayments workflow, started with the update if needed.
   */
  paymentCoalesce?: boolean;
  /**
   * PAYMENT_BATCH: concurrent payments of an environment go together as one paymentBatch
   * workflow (src/api/payment-batcher.ts; made by paymentBatcherFor). Absent: one workflow each.
   */
  paymentBatcher?: PaymentBatcher<BatchedPayment, PaymentResult>;
}

/** The movements a request runs to its result (a withdrawal answers early: withdraw-temporal.ts). */
export type MovementType = 'topup' | 'payment' | 'transfer' | 'refund' | 'batch';

export interface MovementRequest<K extends MovementType> {
  workflowType: K;
  envId: string;
  /** Memo and search attributes; a batch (many wallets) names none. */
  walletId?: string;
  userId?: string;
  /** The workflow id when the caller needed it first (a batch stores its items under it); else workflowIdFor(...). */
  workflowId?: string;
  idempotencyKey: string | undefined;
  /** Hash of the request (src/api/idempotency.ts), given with the key. */
  requestHash?: string;
  args: WorkflowArgs<K>[0];
}

/**
 * Starts (or attaches to) the movement's workflow and waits for its result. The whole
 * of it — reaching Temporal included — is bounded by syncTimeoutMs: past that the
 * client gets 503 and, retrying with its Idempotency-Key, the outcome.
 */
export async function runMovement<K extends MovementType>(
  deps: TemporalDeps,
  req: MovementRequest<K>,
): Promise<{ result: WorkflowResult<K>; workflowId: string }> {
  const workflowId = req.workflowId ?? workflowIdFor(req.workflowType, req.envId, req.idempotencyKey, req.requestHash);
  try {
    const run = () => withinSyncTimeout(
      deps,
      workflowId,
      STILL_RUNNING,
      async (): Promise<WorkflowResult<K>> => {
        if (req.workflowType === 'payment' && deps.paymentCoalesce) {
          return (await payCoalesced(deps, req as MovementRequest<'payment'>, workflowId)) as WorkflowResult<K>;
        }
        const subject = { envId: req.envId, walletId: req.walletId, userId: req.userId };
        const handle = await startWorkflow(deps, req.workflowType, { workflowId, args: [req.args] as WorkflowArgs<K>, subject });
        return (await handle.result()) as WorkflowResult<K>;
      },
    );
    // A payment may wait for a batch (PAYMENT_BATCH): alone it runs `run`, as without batching.
    const result = batchable(deps, req)
      ? ((await deps.paymentBatcher.pay(req.envId, workflowId, { input: req.args as PaymentInput, context: requestContext.getStore() }, run as () => Promise<PaymentResult>)) as WorkflowResult<K>)
      : await run();
    workflowOutcomes.inc({ type: req.workflowType, outcome: 'completed' });
    return { result, workflowId };
  } catch (err) {
    workflowOutcomes.inc({ type: req.workflowType, outcome: outcomeOf(err) });
    throw failedForGood(err, workflowId);
  }
}

/**
 * Starts (or attaches to) a workflow that answers before it ends — a withdrawal its URL,
 * a card top-up its PaymentIntent — with an update-with-start, bounded by syncTimeoutMs
 * (past it 503 `stillStarting`). Same ids and policies as runMovement: one workflow per
 * Idempotency-Key and body, a running one attached to, a finished one never started
 * again. For a finished one `ended` reads what it became from Postgres; when that holds
 * nothing, the workflow was refused before it could answer and its failure is the answer
 * (the refusal's code, or failed for good: 500 with its id).
 */
export async function startWithEarlyAnswer<K extends 'withdraw' | 'cardTopup', Ret>(
  deps: TemporalDeps,
  type: K,
  req: Idempotency & { input: WorkflowArgs<K>[0] },
  update: UpdateDefinition<Ret, []>,
  stillStarting: string,
  ended: (workflowId: string) => Promise<Ret | null>,
): Promise<{ answer: Ret; workflowId: string }> {
  const { envId, walletId, userId } = req.input;
  const workflowId = workflowIdFor(type, envId, req.idempotencyKey, req.requestHash);
  const start = { workflowId, args: [req.input] as WorkflowArgs<K>, subject: { envId, walletId, userId } };
  try {
    const answer = await withinSyncTimeout(deps, workflowId, stillStarting, () => executeUpdateWithStart(deps, type, start, update, { args: [] }));
    return { answer, workflowId };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw failedForGood(err, workflowId);
    const answer = await ended(workflowId);
    if (answer === null) {
      await deps.client.workflow.getHandle(workflowId).result().catch((e: unknown) => Promise.reject(failedForGood(e, workflowId)));
      throw err;
    }
    return { answer, workflowId };
  }
}

/** Sends a signal; true when a running workflow received it, false when it had finished (nothing waits for it any more). */
export async function signalIfRunning(send: () => Promise<void>): Promise<boolean> {
  try {
    await send();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
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
  // The API's error log keeps what failed (the answer carries only code, message and id).
  return Object.assign(internalFailure(workflowId, refused), { cause: err });
}

/** 500 `internal` for a workflow failed for good: `refused` (a data error) or `unknown` (a step may have committed). */
function internalFailure(workflowId: string, refused: boolean): DomainError {
  return new DomainError(
    'internal',
    refused
      ? `the workflow ${workflowId} failed and will not complete: retrying the same request cannot succeed`
      : `the workflow ${workflowId} failed and will not complete; a step may have committed before it ended: ` +
          "check the wallet's history before sending this movement again under a new Idempotency-Key",
    { workflow_id: workflowId, outcome: refused ? 'refused' : 'unknown' },
  );
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

/**
 * A coalesced payment: an Update of the wallet's walletPayments workflow, started with
 * the update if it is not running. The update id is the id the payment's own workflow
 * would have had, so a retried request with the same Idempotency-Key is the same update
 * (Temporal answers it again within a run; after a continue-as-new the ledger's order and
 * posting idempotency answer it the same, posting nothing twice). An operator finds the
 * payment by its id among the wallet workflow's updates, and the wallet workflow by the
 * search attribute PaynocchioWalletId.
 */
function payCoalesced(deps: TemporalDeps, req: MovementRequest<'payment'>, paymentId: string) {
  return executeUpdateWithStart(
    deps,
    'walletPayments',
    {
      workflowId: walletPaymentsWorkflowId(req.envId, req.walletId!),
      args: [{}],
      subject: { envId: req.envId, walletId: req.walletId, userId: req.userId },
      // It ends after a minute idle; the next payment starts it again under its id.
      restartable: true,
    },
    payUpdate,
    { updateId: paymentId, args: [req.args] },
  );
}

/** A bounded label: the refusal's code for a business failure, else timeout or error. */
function outcomeOf(err: unknown): string {
  if (err instanceof DomainError) return err.code === 'unavailable' ? 'timeout' : err.code;
  const cause = (err as { cause?: { type?: unknown } })?.cause;
  return typeof cause?.type === 'string' ? `failed_${cause.type}` : 'error';
}

/**
 * A payment the batcher may put in a batch: taken now, without splits (a split payment
 * locks its sellers too, outside the batch's wallet order), on the one-activity path.
 */
function batchable(deps: TemporalDeps, req: MovementRequest<MovementType>): deps is TemporalDeps & { paymentBatcher: PaymentBatcher<BatchedPayment, PaymentResult> } {
  if (req.workflowType !== 'payment' || !deps.paymentBatcher || deps.paymentCoalesce) return false;
  const args = req.args as PaymentInput;
  return !args.authorization && !args.twoSteps && !args.splits?.length;
}

/** A payment waiting for a batch: its workflow input and its request's context (the log line names the batch). */
export interface BatchedPayment {
  input: PaymentInput;
  context: RequestContext | undefined;
}

/** The API's batcher of payments (PAYMENT_BATCH), its batches run by runPaymentBatch on these deps. */
export function paymentBatcherFor(deps: TemporalDeps, opts: { maxSize: number; maxInFlight: number }): PaymentBatcher<BatchedPayment, PaymentResult> {
  return new PaymentBatcher<BatchedPayment, PaymentResult>({
    ...opts,
    timeoutMs: deps.syncTimeoutMs,
    timeoutError: (paymentId) => new DomainError('unavailable', STILL_RUNNING, { workflow_id: paymentId }),
    runBatch: (envId, items) => runPaymentBatch(deps, envId, items),
  });
}

const STILL_RUNNING = 'the movement is still in progress; retry with the same Idempotency-Key to get its result';

/**
 * One paymentBatch workflow for 2..maxSize payments of an environment, bounded by the sync
 * timeout; each payment's outcome as its own workflow would have answered it: its result,
 * its refusal (the same code, message and details), or a data error as 500 `internal`
 * naming the payment. A batch that fails for good answers each payment as failed for
 * good, naming the batch (the workflow support looks at). Runs outside any request's
 * context (it serves many); each request's log line names the batch.
 */
export async function runPaymentBatch(
  deps: TemporalDeps,
  envId: string,
  items: { paymentId: string; input: BatchedPayment }[],
): Promise<Settled<PaymentResult>[]> {
  const workflowId = paymentBatchWorkflowId(envId);
  for (const { input } of items) if (input.context) Object.assign(input.context, { workflowId, workflowType: 'paymentBatch' });
  const payments = items.map((i) => ({ paymentId: i.paymentId, input: i.input.input }));
  const subject = { envId, paymentIds: payments.map((p) => p.paymentId), walletIds: [...new Set(payments.map((p) => p.input.walletId))] };
  paymentBatchSizes.observe(items.length);
  try {
    const outcomes = await requestContext.exit(() =>
      withinSyncTimeout(deps, workflowId, STILL_RUNNING, async () => {
        // A start Temporal refuses as invalid (e.g. PaynocchioPaymentIds not registered on
        // this cluster) started nothing: each payment then runs its own workflow.
        const handle = await startWorkflow(deps, 'paymentBatch', { workflowId, args: [{ payments }], subject }).catch((err: unknown) => {
          throw isInvalidArgument(err) ? new BatchNotStarted(err) : err;
        });
        return handle.result();
      }),
    );
    return outcomes.map((o, i): Settled<PaymentResult> => {
      if (o.ok) return { ok: true, value: o.result };
      if (o.type === DATABASE_ERROR) return { ok: false, error: internalFailure(items[i]!.paymentId, true) };
      return { ok: false, error: new DomainError(o.type as ErrorCode, o.message, o.details) };
    });
  } catch (err) {
    if (err instanceof BatchNotStarted) throw err;
    // Past the sync timeout each payment is named (a retry with its key runs it again, posting nothing twice).
    if (err instanceof DomainError && err.code === 'unavailable') {
      return items.map((i) => ({ ok: false, error: new DomainError('unavailable', STILL_RUNNING, { workflow_id: i.paymentId }) }));
    }
    const error = failedForGood(err, workflowId);
    return items.map(() => ({ ok: false, error }));
  }
}

/** gRPC INVALID_ARGUMENT (3) from a start: the request was refused as sent, nothing started. */
function isInvalidArgument(err: unknown): boolean {
  for (let e: unknown = err, n = 0; e && n < 5; e = (e as { cause?: unknown }).cause, n++) {
    if ((e as { code?: unknown }).code === 3) return true;
  }
  return false;
}
