/**
 * Natural batching of payments at the API (PAYMENT_BATCH; issue 11). Per environment and process:
 *
 * - a payment that finds fewer than `maxInFlight` runs in flight and nothing queued runs
 *   alone, exactly as without batching (`solo`: its own `payment` workflow), so one payment
 *   at a time sees no change;
 * - otherwise it queues; when a run ends, the queue is flushed: one payment → `solo`,
 *   two or more → ONE batch run (`runBatch`: a paymentBatch workflow) of up to `maxSize`.
 *   A full queue (maxSize, or the ids' byte budget of one search attribute) is flushed at
 *   once, whatever is in flight: the queue never holds more than one batch.
 *
 * Temporal's fixed cost per movement (start, workflow task, result, visibility) is then paid
 * once per batch. Batches form only when payments are concurrent; their size follows the load.
 *
 * Each waiting request keeps its own deadline (`timeoutMs` from its arrival: `timeoutError`,
 * the API's 503); a queued payment whose every request gave up is dropped from the queue
 * (nothing of it ran; the retry runs it). The same payment id queued twice (a retry while
 * queued) shares one entry and one outcome. `drain()` (shutdown) flushes the queue now and
 * runs every later payment alone: no request is left waiting for a flush.
 */
import { AsyncResource } from 'node:async_hooks';

/**
 * Thrown by a batch run whose workflow did not start (e.g. a cluster without the batch's
 * search attributes registered): nothing of it ran, so each payment runs alone instead.
 */
export class BatchNotStarted extends Error {
  constructor(override readonly cause: unknown) {
    super(`the payment batch did not start: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/** What one payment ended as: its value, or the error its request answers. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

export interface PaymentBatcherOptions<I, T> {
  maxSize: number;
  maxInFlight: number;
  timeoutMs: number;
  timeoutError: (paymentId: string) => Error;
  /** Runs 2..maxSize payments of one environment together; one outcome per item, in order. */
  runBatch: (envId: string, items: { paymentId: string; input: I }[]) => Promise<Settled<T>[]>;
  /** Bytes of payment ids one batch may list (a search attribute's value limit). */
  maxIdBytes?: number;
}

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout;
}

interface Entry<I, T> {
  paymentId: string;
  input: I;
  solo: () => Promise<T>;
  waiters: Set<Waiter<T>>;
}

interface EnvQueue<I, T> {
  inFlight: number;
  queue: Map<string, Entry<I, T>>;
  queuedIdBytes: number;
}

/** Temporal's default limit on one search attribute value (limit.searchAttributesSizeOfValue), with room for the encoding. */
export const DEFAULT_MAX_ID_BYTES = 1800;

export class PaymentBatcher<I, T> {
  private readonly envs = new Map<string, EnvQueue<I, T>>();
  private readonly maxIdBytes: number;
  private draining = false;

  constructor(private readonly opts: PaymentBatcherOptions<I, T>) {
    this.maxIdBytes = opts.maxIdBytes ?? DEFAULT_MAX_ID_BYTES;
  }

  /** Payments queued now, over every environment (tests, metrics). */
  get queued(): number {
    let n = 0;
    for (const env of this.envs.values()) n += env.queue.size;
    return n;
  }

  /**
   * Runs the payment alone or in a batch. `solo` is bound to the caller's async context
   * (its request id and log line), since a queued one runs from another request's flush.
   */
  pay(envId: string, paymentId: string, input: I, solo: () => Promise<T>): Promise<T> {
    if (this.draining) return solo();
    const env = this.env(envId);
    const queued = env.queue.get(paymentId);
    if (!queued && env.inFlight < this.opts.maxInFlight && env.queue.size === 0) return this.track(envId, env, solo());
    return new Promise<T>((resolve, reject) => {
      const entry = queued ?? this.enqueue(env, paymentId, input, AsyncResource.bind(solo));
      const waiter: Waiter<T> = {
        resolve,
        reject,
        timer: setTimeout(() => {
          entry.waiters.delete(waiter);
          // Nobody waits for a payment still queued: drop it (nothing ran; a retry runs it).
          if (entry.waiters.size === 0 && env.queue.get(paymentId) === entry) this.dequeue(env, entry);
          reject(this.opts.timeoutError(paymentId));
        }, this.opts.timeoutMs).unref(),
      };
      entry.waiters.add(waiter);
      if (this.full(env)) this.flushOne(envId, env);
    });
  }

  /** Shutdown: every queued payment is sent now, not after the runs in flight, and later ones run alone. */
  drain(): void {
    this.draining = true;
    for (const [envId, env] of this.envs) while (env.queue.size) this.flushOne(envId, env);
  }

  private env(envId: string): EnvQueue<I, T> {
    let env = this.envs.get(envId);
    if (!env) this.envs.set(envId, (env = { inFlight: 0, queue: new Map(), queuedIdBytes: 0 }));
    return env;
  }

  private enqueue(env: EnvQueue<I, T>, paymentId: string, input: I, solo: () => Promise<T>): Entry<I, T> {
    const entry: Entry<I, T> = { paymentId, input, solo, waiters: new Set() };
    env.queue.set(paymentId, entry);
    env.queuedIdBytes += idBytes(paymentId);
    return entry;
  }

  private dequeue(env: EnvQueue<I, T>, entry: Entry<I, T>): void {
    env.queue.delete(entry.paymentId);
    env.queuedIdBytes -= idBytes(entry.paymentId);
  }

  private full(env: EnvQueue<I, T>): boolean {
    return env.queue.size >= this.opts.maxSize || env.queuedIdBytes >= this.maxIdBytes;
  }

  /** Counts a run in flight; when it ends, the queue is flushed into the room it left. */
  private track<R>(envId: string, env: EnvQueue<I, T>, run: Promise<R>): Promise<R> {
    env.inFlight++;
    const done = () => {
      env.inFlight--;
      while (env.queue.size && env.inFlight < this.opts.maxInFlight) this.flushOne(envId, env);
      if (env.inFlight === 0 && env.queue.size === 0) this.envs.delete(envId);
    };
    run.then(done, done);
    return run;
  }

  /** Takes one batch off the queue (in arrival order) and runs it: one payment alone, more together. */
  private flushOne(envId: string, env: EnvQueue<I, T>): void {
    const batch: Entry<I, T>[] = [];
    let bytes = 0;
    for (const entry of env.queue.values()) {
      if (batch.length >= this.opts.maxSize || (batch.length > 0 && bytes + idBytes(entry.paymentId) > this.maxIdBytes)) break;
      batch.push(entry);
      bytes += idBytes(entry.paymentId);
    }
    for (const entry of batch) this.dequeue(env, entry);
    if (batch.length === 1) {
      const entry = batch[0]!;
      void this.track(envId, env, settle(entry.solo())).then((outcome) => answer(entry, outcome));
      return;
    }
    const items = batch.map((e) => ({ paymentId: e.paymentId, input: e.input }));
    const run = this.opts.runBatch(envId, items).catch((error: unknown) => {
      // Not started: nothing ran, each payment runs alone (still within its own deadline).
      if (error instanceof BatchNotStarted) return Promise.all(batch.map((e) => settle(e.solo())));
      return batch.map((): Settled<T> => ({ ok: false, error }));
    });
    void this.track(envId, env, run).then((outcomes) => batch.forEach((entry, i) => answer(entry, outcomes[i] ?? { ok: false, error: new Error('batch answered no outcome') })));
  }
}

function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  return p.then(
    (value): Settled<T> => ({ ok: true, value }),
    (error: unknown): Settled<T> => ({ ok: false, error }),
  );
}

function answer<T>(entry: { waiters: Set<Waiter<T>> }, outcome: Settled<T>): void {
  for (const w of entry.waiters) {
    clearTimeout(w.timer);
    if (outcome.ok) w.resolve(outcome.value);
    else w.reject(outcome.error);
  }
  entry.waiters.clear();
}

/** A payment id's share of the batch's PaynocchioPaymentIds value (its JSON text, quotes and comma). */
function idBytes(paymentId: string): number {
  return Buffer.byteLength(paymentId) + 3;
}
