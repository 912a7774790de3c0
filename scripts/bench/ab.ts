/**
 * A/B of levers, back to back on one stack (for decisions on a shared machine; the full
 * `npm run bench` is the record): `node --import tsx scripts/bench/ab.ts [seconds] [variant,…]`.
 * Each variant: payments (closed loop, 32 connections), payments one at a time, and
 * (where it matters) reads, with CPU per request per process. Prints JSON lines; rssMb is
 * each process's peak so far, startRssMb its peak when it was ready (before any load).
 * PAYNOCCHIO_BENCH_DB: the database (fresh each run; default paynocchio_bench_ab) and the
 * data folder `.data/<it>`, so two people can run A/Bs on one machine.
 * A third argument picks variants by name, run in that order, repeats allowed
 * (`default,semi-8,default,semi-8`).
 * PAYNOCCHIO_BENCH_KINDS=read (comma-separated) keeps only those scenarios of each variant;
 * PAYNOCCHIO_BENCH_READ_RATE=<n>/s runs the reads open loop at that rate (CPU per read at equal work).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { NODE_FLAGS } from '../../src/node-flags';
import { buildWorkflowBundle } from '../workflow-bundle';
import { ROOT, ensureTools, freePort, pickDatabase, startTemporal, stopChild } from '../stack';
import { perRequest, snapshot } from './cpu';
import type { ScenarioKind } from './driver';
import { runLoad } from './load';
import { startLayout, type Layout } from './processes';
import { memoryNow, peakRssMb } from './rss';
import { DEFAULT_LAYOUT } from './run';
import { createBenchEnvironment, seedWallets } from './seed';

/** `flags`, plus each NODE_FLAGS flag it does not name at V8's default (`--name=0`: V8 computes the value). */
function v8Flags(flags: string): string {
  const named = new Set(flags.split(/\s+/).map((f) => f.split('=')[0]));
  return [flags, ...NODE_FLAGS.map((f) => f.split('=')[0]!).filter((n) => !named.has(n)).map((n) => `${n}=0`)].join(' ').trim();
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const only = process.argv[3]?.split(',');
  const kindsWanted = process.env.PAYNOCCHIO_BENCH_KINDS?.split(',');
  const database = process.env.PAYNOCCHIO_BENCH_DB ?? 'paynocchio_bench_ab';
  const dataDir = join(ROOT, '.data', database === 'paynocchio_bench_ab' ? 'bench-ab' : database);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const tools = ensureTools();
  const db = await pickDatabase(database, { fresh: true, dataDir });
  const pool = createPool(db.url, 4);
  await migrate(pool);
  const temporal = await startTemporal({ temporal: tools.temporal, port: await freePort(), dbFile: join(dataDir, 'temporal.sqlite'), quiet: true });
  // The same bundle the shipped layouts run (interceptors included).
  const bundlePath = join(dataDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, await buildWorkflowBundle());
  try {
    const { envId, secret } = await createBenchEnvironment(pool);
    const main = await seedWallets(pool, envId, 'main', 1000, dataDir);
    const hot = await seedWallets(pool, envId, 'hot', 1, dataDir);
    const base: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      SECRETS_PEPPER: randomBytes(32).toString('hex'),
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: 'paynocchio-ab',
      ...DEFAULT_LAYOUT.env,
      // Prebuilt, so a variant starts sooner; the worker's own build at start (the default
      // layout's) happens in a child process and leaves no memory behind: `bundle-at-start`.
      WORKFLOW_BUNDLE_PATH: bundlePath,
    };
    // 'payment-hot': payments on one wallet (32 connections), for the coalescing lever.
    const variants: [string, Layout, NodeJS.ProcessEnv, (ScenarioKind | 'payment-hot')[]][] = [
      ['b0', 'b0', {}, ['payment', 'read']],
      ['default', 'combined', {}, ['payment', 'read']],
      ['two-process', 'two-process', {}, ['payment']],
      ['two-activities', 'combined', { PAYMENT_SINGLE_ACTIVITY: 'false' }, ['payment']],
      ['no-eager', 'combined', { TEMPORAL_EAGER_START: 'false' }, ['payment']],
      ['no-rate-limit', 'combined', { RATE_LIMIT_PER_SECOND: '0' }, ['read']],
      ['reuse-context-off', 'combined', { WORKER_REUSE_V8_CONTEXT: 'false' }, ['payment']],
      ['pool-20', 'combined', { DATABASE_POOL_MAX: '20' }, ['payment']],
      ['coalesce-off', 'combined', {}, ['payment', 'payment-hot']],
      ['coalesce', 'combined', { PAYMENT_COALESCE: 'true' }, ['payment', 'payment-hot']],
      // Payments batched at the API (PAYMENT_BATCH, default on): one paymentBatch workflow per batch.
      ['batch-off', 'combined', { PAYMENT_BATCH: 'false' }, ['payment', 'payment-hot']],
      ['batch', 'combined', { PAYMENT_BATCH: 'true' }, ['payment', 'payment-hot']],
      ['batch-in-flight-1', 'combined', { PAYMENT_BATCH: 'true', PAYMENT_BATCH_MAX_IN_FLIGHT: '1' }, ['payment']],
      ['batch-in-flight-4', 'combined', { PAYMENT_BATCH: 'true', PAYMENT_BATCH_MAX_IN_FLIGHT: '4' }, ['payment']],
      ['batch-in-flight-2', 'combined', { PAYMENT_BATCH: 'true', PAYMENT_BATCH_MAX_IN_FLIGHT: '2' }, ['payment']],
      ['default-again', 'combined', {}, ['payment', 'read']],
      // The same layout compiled from another commit: `cp -r dist .data/dist-base` before a change (processes.ts).
      ['default-base', 'combined', { PAYNOCCHIO_BENCH_DIST: '.data/dist-base' }, ['payment', 'read']],
      // Memory levers (issue 11: peak RSS of the default layout).
      // No WORKFLOW_BUNDLE_PATH: the worker builds its bundle at start, as `npm run dev` and the image do.
      ['bundle-at-start', 'combined', { WORKFLOW_BUNDLE_PATH: '' }, ['payment']],
      ['tsx', 'combined', { PAYNOCCHIO_BENCH_RUNTIME: 'tsx' }, ['payment']],
      ['cache-500', 'combined', { WORKER_MAX_CACHED_WORKFLOWS: '500' }, ['payment', 'read']],
      ['cache-200', 'combined', { WORKER_MAX_CACHED_WORKFLOWS: '200' }, ['payment', 'read']],
      ['wft-10', 'combined', { WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '10' }, ['payment']],
      // V8 heap flags (every isolate: the API's and the workflow thread's) in place of the
      // app's NODE_FLAGS (src/node-flags.ts), each NODE_FLAGS flag a variant leaves out at
      // V8's default (`=0`), so the process does not add it to its workflow threads (applyNodeFlags).
      // Reads at 32 connections drove the full bench's first peak, so each runs both kinds.
      ['v8-defaults', 'combined', { PAYNOCCHIO_BENCH_NODE_FLAGS: v8Flags('') }, ['payment', 'read']],
      // Plain `node dist/src/main.js`: the main isolate at V8's defaults, the workflow threads given NODE_FLAGS at start.
      ['bare-node', 'combined', { PAYNOCCHIO_BENCH_NODE_FLAGS: '' }, ['payment', 'read']],
      ['semi-4', 'combined', { PAYNOCCHIO_BENCH_NODE_FLAGS: v8Flags('--max-semi-space-size=4') }, ['payment', 'read']],
      ['semi-8', 'combined', { PAYNOCCHIO_BENCH_NODE_FLAGS: v8Flags('--max-semi-space-size=8') }, ['payment', 'read']],
      ['old-192', 'combined', { PAYNOCCHIO_BENCH_NODE_FLAGS: v8Flags('--max-old-space-size=192') }, ['payment', 'read']],
      ['old-512', 'combined', { PAYNOCCHIO_BENCH_NODE_FLAGS: v8Flags('--max-old-space-size=512') }, ['payment', 'read']],
      // Old generation grows by 1.5× its live size after a full GC instead of V8's up to 4× on a large machine.
      ['grow-50', 'combined', { PAYNOCCHIO_BENCH_NODE_FLAGS: v8Flags('--heap-growing-percent=50') }, ['payment', 'read']],
      ['semi-8-grow-50', 'combined', { PAYNOCCHIO_BENCH_NODE_FLAGS: v8Flags('--max-semi-space-size=8 --heap-growing-percent=50') }, ['payment', 'read']],
      ['semi-8-cache-200', 'combined', { PAYNOCCHIO_BENCH_NODE_FLAGS: v8Flags('--max-semi-space-size=8'), WORKER_MAX_CACHED_WORKFLOWS: '200' }, ['payment', 'read']],
      ['workflows-main-thread', 'combined', { TEMPORAL_DEBUG: '1' }, ['payment']],
    ];
    // In the order asked for, repeats included (`default,semi-8,default,semi-8`: A/B/A/B on one stack).
    const unknown = only?.filter((name) => !variants.some(([n]) => n === name)) ?? [];
    if (unknown.length) throw new Error(`unknown variant(s): ${unknown.join(', ')}`);
    const chosen = only ? only.map((name) => variants.find(([n]) => n === name)!) : variants;
    for (const [round, [name, layout, env, kinds]] of chosen.entries()) {
      // A task queue per variant: open workflows of one (coalescing's walletPayments) must not run in the next.
      const running = await startLayout({ layout, env: { ...base, TEMPORAL_TASK_QUEUE: `paynocchio-ab-${name}`, ...env } });
      const procs = () => [running.pids.api, running.pids.worker, running.pids.combined, running.pids.b0];
      const startRssMb = procs().map(peakRssMb).filter((x) => x !== null);
      try {
        const load = (kind: ScenarioKind | 'payment-hot', concurrency: number, durationMs: number, rate?: number) =>
          runLoad({
            baseUrl: running.baseUrl,
            secret,
            envId,
            kind: kind === 'payment-hot' ? 'payment' : kind,
            walletsFile: kind === 'payment-hot' ? hot.file : main.file,
            concurrency,
            ...(rate ? { rate } : {}),
            durationMs,
            maxRequests: 1e6,
            warmupMs: 1000,
          });
        const measured = kinds.filter((k) => !kindsWanted || kindsWanted.includes(k));
        // Warm-up (JIT, pool connections) with what is measured: payments only when payments
        // are, and reads last. A read row measured straight after a payment warm-up also paid
        // for the Temporal work those payments left behind (the 12-01 A/B's 'no-rate-limit'
        // read: 1.31 ms of app CPU per read vs 0.86 for the default, whose reads came after
        // its payment rows).
        if (measured.some((k) => k !== 'read')) await load('payment', 32, 2000);
        if (measured.includes('read')) await load('read', 32, 2000);
        for (const kind of measured) {
          for (const conc of kind === 'payment' ? [32, 1] : [32]) {
            const pids = { ...running.pids, temporal: temporal.child?.pid };
            const before = snapshot(pids, database);
            // PAYNOCCHIO_BENCH_READ_RATE: reads at that fixed rate (open loop), so variants do the same work and their CPU per read compares.
            const rate = kind === 'read' && process.env.PAYNOCCHIO_BENCH_READ_RATE ? Number(process.env.PAYNOCCHIO_BENCH_READ_RATE) : undefined;
            const r = await load(kind, conc, seconds * 1000, rate);
            const cpu = perRequest(before, snapshot(pids, database), r.sent ?? r.requests);
            const rss = procs().map(peakRssMb).filter((x) => x !== null);
            console.log(
              JSON.stringify({ variant: name, slot: round + 1, kind, conc, ...(rate ? { rate } : {}), rps: r.throughput, p50: r.latencyMs.p50, p99: r.latencyMs.p99, errors: r.errors, cpu: { ...cpu, driver: r.driverCpuMsPerRequest }, rssMb: rss, startRssMb, mem: procs().map(memoryNow).filter((x) => x !== null) }),
            );
          }
        }
      } finally {
        await running.stop();
      }
    }
  } finally {
    await pool.end();
    await stopChild(temporal.child);
    await db.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
