/**
 * src/api/payment-batcher.ts with a fake runner: alone while there is room, queued
 * behind runs in flight, flushed as one batch (or alone when one), a full queue sent at
 * once, each request's own deadline (a queued payment nobody waits for is dropped),
 * one entry for a payment id queued twice, and drain() at shutdown.
 */
import { BatchNotStarted, PaymentBatcher, type Settled } from '../../src/api/payment-batcher';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}
const tick = () => new Promise((r) => setImmediate(r));

function setup(opts: { maxSize?: number; maxInFlight?: number; timeoutMs?: number; maxIdBytes?: number } = {}) {
  const batches: { envId: string; ids: string[]; done: Deferred<Settled<string>[]> }[] = [];
  const solos: { id: string; done: Deferred<string> }[] = [];
  const batcher = new PaymentBatcher<string, string>({
    maxSize: opts.maxSize ?? 4,
    maxInFlight: opts.maxInFlight ?? 1,
    timeoutMs: opts.timeoutMs ?? 10_000,
    ...(opts.maxIdBytes ? { maxIdBytes: opts.maxIdBytes } : {}),
    timeoutError: (id) => new Error(`timeout ${id}`),
    runBatch: (envId, items) => {
      const done = deferred<Settled<string>[]>();
      batches.push({ envId, ids: items.map((i) => i.paymentId), done });
      return done.promise;
    },
  });
  const pay = (id: string, env = 'e1') => {
    const p = batcher.pay(env, id, `in-${id}`, () => {
      const done = deferred<string>();
      solos.push({ id, done });
      return done.promise;
    });
    p.catch(() => undefined); // a payment a test leaves waiting may time out after it
    return p;
  };
  return { batcher, batches, solos, pay };
}

test('alone while there is room: no batch, no queue', async () => {
  const { solos, batches, pay } = setup({ maxInFlight: 2 });
  const a = pay('a');
  const b = pay('b');
  expect(solos.map((s) => s.id)).toEqual(['a', 'b']);
  solos[0]!.done.resolve('A');
  solos[1]!.done.resolve('B');
  await expect(Promise.all([a, b])).resolves.toEqual(['A', 'B']);
  expect(batches).toHaveLength(0);
});

test('queued behind a run in flight, flushed as ONE batch when it ends; each its own outcome', async () => {
  const { solos, batches, pay, batcher } = setup();
  const a = pay('a');
  const queued = ['b', 'c', 'd'].map((id) => pay(id).then((v) => ({ v }), (e: Error) => ({ e: e.message })));
  expect(batcher.queued).toBe(3);
  expect(batches).toHaveLength(0);
  solos[0]!.done.resolve('A');
  await a;
  await tick();
  expect(batches.map((b) => b.ids)).toEqual([['b', 'c', 'd']]);
  batches[0]!.done.resolve([{ ok: true, value: 'B' }, { ok: false, error: new Error('refused c') }, { ok: true, value: 'D' }]);
  expect(await Promise.all(queued)).toEqual([{ v: 'B' }, { e: 'refused c' }, { v: 'D' }]);
  expect(batcher.queued).toBe(0);
});

test('one queued payment runs alone; environments never share a batch or a queue', async () => {
  const { solos, batches, pay } = setup();
  const a = pay('a', 'e1');
  const x = pay('x', 'e2'); // another environment: room of its own
  const b = pay('b', 'e1');
  expect(solos.map((s) => s.id)).toEqual(['a', 'x']);
  solos[0]!.done.resolve('A');
  await a;
  await tick();
  expect(solos.map((s) => s.id)).toEqual(['a', 'x', 'b']);
  solos[1]!.done.resolve('X');
  solos[2]!.done.resolve('B');
  await expect(Promise.all([x, b])).resolves.toEqual(['X', 'B']);
  expect(batches).toHaveLength(0);
});

test('a full queue is sent at once, whatever is in flight; the queue never holds more than one batch', async () => {
  const { solos, batches, pay, batcher } = setup({ maxSize: 3 });
  void pay('a');
  const rest = ['b', 'c', 'd', 'e'].map((id) => pay(id));
  expect(batches.map((b) => b.ids)).toEqual([['b', 'c', 'd']]);
  expect(batcher.queued).toBe(1);
  batches[0]!.done.resolve([{ ok: true, value: 'B' }, { ok: true, value: 'C' }, { ok: true, value: 'D' }]);
  await Promise.all(rest.slice(0, 3));
  await tick();
  // 'e' waits for room: 'a' is still in flight, in a room of one.
  expect(batcher.queued).toBe(1);
  solos[0]!.done.resolve('A');
  await tick();
  expect(solos.map((s) => s.id)).toEqual(['a', 'e']);
  solos[1]!.done.resolve('E');
  await expect(rest[3]).resolves.toBe('E');
});

test("a batch's ids stay within the byte budget of one search attribute value", async () => {
  const { batches, pay } = setup({ maxSize: 64, maxIdBytes: 20 });
  void pay('first');
  for (const id of ['aaaaaa', 'bbbbbb', 'cccccc']) void pay(id); // 9 bytes each: two fit, the third fills the queue past 20
  expect(batches.map((b) => b.ids)).toEqual([['aaaaaa', 'bbbbbb']]);
});

test("each request keeps its own deadline; a queued payment nobody waits for is dropped, one that runs answers those still waiting", async () => {
  jest.useFakeTimers();
  try {
    const { solos, batches, pay, batcher } = setup({ timeoutMs: 1000 });
    void pay('a');
    const b = pay('b').catch((e: Error) => e.message);
    jest.advanceTimersByTime(1001);
    await expect(b).resolves.toBe('timeout b');
    expect(batcher.queued).toBe(0);
    solos[0]!.done.resolve('A');
    await Promise.resolve();
    await Promise.resolve();
    expect(batches).toHaveLength(0);
    expect(solos.map((s) => s.id)).toEqual(['a']);
  } finally {
    jest.useRealTimers();
  }
});

test('the same payment id queued twice (a retry while queued) is one entry with one outcome for both', async () => {
  const { solos, batches, pay } = setup();
  void pay('a');
  const first = pay('k');
  const retry = pay('k');
  const other = pay('m');
  solos[0]!.done.resolve('A');
  await tick();
  expect(batches.map((b) => b.ids)).toEqual([['k', 'm']]);
  batches[0]!.done.resolve([{ ok: true, value: 'K' }, { ok: true, value: 'M' }]);
  await expect(Promise.all([first, retry, other])).resolves.toEqual(['K', 'K', 'M']);
});

test('a batch run that throws answers each of its payments with the error', async () => {
  const { solos, batches, pay } = setup();
  void pay('a');
  const queued = ['b', 'c'].map((id) => pay(id).catch((e: Error) => e.message));
  solos[0]!.done.resolve('A');
  await tick();
  batches[0]!.done.reject(new Error('batch failed'));
  await expect(Promise.all(queued)).resolves.toEqual(['batch failed', 'batch failed']);
});

test('drain (shutdown): the queue is sent now and later payments run alone', async () => {
  const { solos, batches, pay, batcher } = setup();
  void pay('a');
  void pay('b');
  void pay('c');
  batcher.drain();
  expect(batches.map((b) => b.ids)).toEqual([['b', 'c']]);
  void pay('d');
  expect(solos.map((s) => s.id)).toEqual(['a', 'd']);
});

test('a batch that did not start (BatchNotStarted: nothing ran) runs each payment alone', async () => {
  const { solos, batches, pay } = setup();
  void pay('a');
  const queued = ['b', 'c'].map((id) => pay(id));
  solos[0]!.done.resolve('A');
  await tick();
  batches[0]!.done.reject(new BatchNotStarted(new Error('search attribute not registered')));
  await tick();
  expect(solos.map((s) => s.id)).toEqual(['a', 'b', 'c']);
  solos[1]!.done.resolve('B');
  solos[2]!.done.reject(new Error('refused c'));
  await expect(queued[0]).resolves.toBe('B');
  await expect(queued[1]).rejects.toThrow('refused c');
});
