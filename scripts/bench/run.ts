/**
 * The bench plan: given a running Postgres and Temporal (started by main.ts, or the
 * test stack for the smoke), seed the data, start each layout, drive each scenario
 * from a separate process, and collect numbers. No thresholds here: targets are
 * judged in report.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createPool, type Pool } from '../../src/db/pool';
import type { DriverResult, ScenarioKind } from './driver';
import { measureHistory, type HistoryResult } from './history';
import { measureExport, type ExportResult } from './export';
import { measureBatches, type BatchBenchResult } from './batch';
import { runLoad } from './load';
import { machineInfo, type MachineInfo } from './machine';
import { runPgbench, type PgbenchResult } from './pgbench';
import { startLayout, type Layout, type Running } from './processes';
import type { Profile } from './profiles';
import { perRequest, snapshot } from './cpu';
import { peakRssMb } from './rss';
import { createBenchEnvironment, seedHistory, seedWallets, type WalletSet } from './seed';

export interface BenchStack {
  databaseUrl: string;
  temporalAddress: string;
  temporalPath: string | null;
  workflowBundlePath: string;
  taskQueue: string;
  /** Scratch folder for wallet lists. */
  workDir: string;
  /** The Temporal the rows ran on, for their setup column (default: the dev server's SQLite WAL). */
  temporalSetup?: string;
  /**
   * Starts a second Temporal dev server for a persistence lever: `no-wal` (its SQLite file
   * in the rollback journal) or `in-memory` (no file at all: what persistence costs).
   */
  startOtherTemporal?: (variant: 'no-wal' | 'in-memory') => Promise<{ address: string; stop: () => Promise<void> }>;
  log?: (line: string) => void;
  /** The Temporal server's pid, when the bench started it (its CPU per request is reported). */
  temporalPid?: number;
}

export interface ScenarioRecord {
  id: string;
  group: 'baseline' | 'workflow' | 'lever' | 'scale';
  title: string;
  setup: string;
  kind: ScenarioKind;
  wallets: number;
  concurrency: number | null;
  rate: number | null;
  result: DriverResult;
  rssMb: { api: number | null; worker: number | null; combined: number | null; b0: number | null };
  /**
   * CPU ms per request (warm-up included on both sides) of each process, from its own
   * counters (cpu.ts): api, worker, combined, b0, temporal, postgres (this database's
   * backends), driver (the load generator). null: not measured.
   */
  cpuMsPerRequest?: Record<string, number | null>;
}

/**
 * The shipped default layout (README, Process layouts): one process, eager start on and
 * payments batched (PAYMENT_BATCH; the config's defaults), the rate limiter on at a limit
 * far above any load here.
 */
export const DEFAULT_LAYOUT: { layout: Layout; env: NodeJS.ProcessEnv; setup: string } = {
  layout: 'combined',
  env: { RATE_LIMIT_PER_SECOND: '1000000', RATE_LIMIT_BURST: '0' },
  setup: 'default: one process (API + worker), eager start, payments batched, rate limiter on',
};

export interface BenchResults {
  profile: Profile['name'];
  machine: MachineInfo;
  finishedAt?: string;
  scenarios: ScenarioRecord[];
  pgbench: PgbenchResult[] | { skipped: string };
  history: HistoryResult | null;
  /** `admin export postings` over the environment holding the history (time, peak RSS). */
  exports?: ExportResult[];
  /** One atomic batch of `items` transfers, in the default layout after the `transfer` row. */
  batches?: BatchBenchResult;
  seedSeconds: Record<string, number>;
}

export async function runBench(stack: BenchStack, profile: Profile): Promise<BenchResults> {
  const log = stack.log ?? (() => undefined);
  mkdirSync(stack.workDir, { recursive: true });
  const pool = createPool(stack.databaseUrl, 4);
  try {
    return await plan(stack, profile, pool, log);
  } finally {
    await pool.end();
  }
}

function databaseName(url: string): string | null {
  try {
    return decodeURIComponent(new URL(url).pathname.slice(1)) || null;
  } catch {
    return null;
  }
}

async function timed<T>(seedSeconds: Record<string, number>, name: string, fn: () => Promise<T>): Promise<T> {
  const t = Date.now();
  const out = await fn();
  seedSeconds[name] = Math.round((Date.now() - t) / 100) / 10;
  return out;
}

async function plan(stack: BenchStack, profile: Profile, pool: Pool, log: (l: string) => void): Promise<BenchResults> {
  const results: BenchResults = {
    profile: profile.name,
    machine: await machineInfo(pool, stack.temporalPath),
    scenarios: [],
    pgbench: { skipped: 'not run' },
    history: null,
    seedSeconds: {},
  };
  const database = databaseName(stack.databaseUrl);
  const { envId, secret } = await createBenchEnvironment(pool);
  const seed = (name: string, n: number) => timed(results.seedSeconds, `${n} wallets`, () => seedWallets(pool, envId, name, n, stack.workDir));
  const main = await seed('main', profile.wallets);
  const hot = await seed('hot', 1);
  const scaleSets: WalletSet[] = [];
  for (const n of profile.scaleWallets) scaleSets.push(n === profile.wallets ? main : await seed(`scale${n}`, n));
  log(`seeded environment ${envId}: ${[main, hot, ...scaleSets].map((s) => s.count).join(', ')} wallets (${JSON.stringify(results.seedSeconds)})`);

  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    // Production needs its own pepper (signed mode; the bench signs nothing): a throwaway one.
    SECRETS_PEPPER: randomBytes(32).toString('hex'),
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    WORKFLOW_BUNDLE_PATH: stack.workflowBundlePath,
  };

  const run = async (
    running: Running,
    rec: { id: string; group: ScenarioRecord['group']; title: string; setup: string; kind: ScenarioKind; set: WalletSet; rate?: number; concurrency?: number },
  ): Promise<ScenarioRecord> => {
    const pids = { ...running.pids, temporal: stack.temporalPid };
    const cpuBefore = snapshot(pids, database);
    const concurrency = rec.concurrency ?? profile.concurrency;
    const result = await runLoad({
      baseUrl: running.baseUrl,
      secret,
      envId,
      kind: rec.kind,
      walletsFile: rec.set.file,
      concurrency,
      durationMs: profile.durationMs,
      maxRequests: profile.maxRequests,
      warmupMs: profile.warmupMs,
      ...(rec.rate ? { rate: rec.rate } : {}),
    });
    const cpuMsPerRequest = { ...perRequest(cpuBefore, snapshot(pids, database), result.sent ?? result.requests), driver: result.driverCpuMsPerRequest ?? null };
    const record: ScenarioRecord = {
      id: rec.id,
      group: rec.group,
      title: rec.title,
      setup: rec.setup,
      kind: rec.kind,
      wallets: rec.set.count,
      concurrency: rec.rate ? null : concurrency,
      rate: rec.rate ?? null,
      result,
      cpuMsPerRequest,
      rssMb: {
        api: peakRssMb(running.pids.api),
        worker: peakRssMb(running.pids.worker),
        combined: peakRssMb(running.pids.combined),
        b0: peakRssMb(running.pids.b0),
      },
    };
    results.scenarios.push(record);
    const r = result;
    log(
      r.skipped
        ? `${rec.id}: skipped (${r.skipped})`
        : `${rec.id}: ${r.throughput}/s p50 ${r.latencyMs.p50} p95 ${r.latencyMs.p95} p99 ${r.latencyMs.p99} ms, ${r.errors} errors of ${r.requests}` +
            (r.errorSamples[0] ? ` (e.g. ${r.errorSamples[0]})` : ''),
    );
    return record;
  };
  let layouts = 0;
  const withLayout = async <T>(layout: Layout, env: NodeJS.ProcessEnv, fn: (r: Running) => Promise<T>): Promise<T> => {
    // A task queue per layout: workflows a layout leaves open (the coalescing lever's
    // walletPayments wait a minute idle, then end) must not be replayed by the next layout's
    // worker during its rows. In the 12-01 runs they were: the rate-limiter-off read row ran
    // right after the coalescing lever at half the default's rate, with Temporal CPU per
    // read 0.26-0.80 ms instead of 0.01.
    const running = await startLayout({ layout, env: { ...env, TEMPORAL_TASK_QUEUE: `${stack.taskQueue}-${++layouts}` } });
    try {
      // Uncounted: the first requests of a fresh process pay for JIT and pool connections.
      // Payments and reads alike (the read row is the first after a start: 11-27 reading).
      for (const kind of ['payment', 'read'] as const) {
        await runLoad({
          baseUrl: running.baseUrl,
          secret,
          envId,
          kind,
          walletsFile: main.file,
          concurrency: profile.concurrency,
          durationMs: kind === 'payment' ? profile.layoutWarmupMs : Math.ceil(profile.layoutWarmupMs / 3),
          maxRequests: profile.maxRequests,
          warmupMs: 0,
        });
      }
      return await fn(running);
    } finally {
      await running.stop();
    }
  };

  // B0: the same posting code without Temporal, and the plain read route.
  const b0 = 'B0: same activity code, plain HTTP, no Temporal';
  await withLayout('b0', { ...baseEnv }, async (r) => {
    await run(r, { id: 'b0-read', group: 'baseline', title: 'B0 wallet read', setup: b0, kind: 'read', set: main });
    await run(r, { id: 'b0-topup', group: 'baseline', title: 'B0 topup', setup: b0, kind: 'topup', set: main });
    await run(r, { id: 'b0-payment', group: 'baseline', title: 'B0 payment', setup: b0, kind: 'payment', set: main });
    await run(r, { id: 'b0-payment-hot', group: 'baseline', title: 'B0 payment, one hot wallet', setup: b0, kind: 'payment', set: hot });
    await run(r, { id: 'b0-payment-sequential', group: 'baseline', title: 'B0 payment, one at a time', setup: b0, kind: 'payment', set: main, concurrency: 1 });
  });

  // The workflow path in the default layout (what `npm run dev`, docker-compose.yml and
  // README's production notes run): API and worker in one process, eager workflow start,
  // the rate limiter on (a limit far above the load, so it is measured, not binding).
  const shipped = DEFAULT_LAYOUT;
  const one = stack.temporalSetup ? `${shipped.setup}, ${stack.temporalSetup}` : shipped.setup;
  // The full profile's headline rows run no prebuilt WORKFLOW_BUNDLE_PATH: the worker builds
  // its bundle at start (in a child process, src/worker/workflow-bundle.ts) as `npm run dev`
  // and the image do, so the peak RSS recorded is theirs. Quicker profiles and the lever rows
  // keep the prebuilt one (it starts sooner; `ab.ts bundle-at-start` shows the same RSS).
  const bundleAtStart = profile.name === 'full' ? { WORKFLOW_BUNDLE_PATH: '' } : {};
  await withLayout(shipped.layout, { ...baseEnv, ...shipped.env, ...bundleAtStart }, async (r) => {
    await run(r, { id: 'read', group: 'workflow', title: 'wallet read (GET /wallet/)', setup: one, kind: 'read', set: main });
    await run(r, { id: 'topup', group: 'workflow', title: 'topup', setup: one, kind: 'topup', set: main });
    const peak = await run(r, { id: 'payment', group: 'workflow', title: 'payment', setup: one, kind: 'payment', set: main });
    const rate = Math.max(1, Math.round(peak.result.throughput / 2));
    await run(r, { id: 'payment-half-rate', group: 'workflow', title: 'payment at half the peak rate', setup: one, kind: 'payment', set: main, rate });
    await run(r, { id: 'payment-sequential', group: 'workflow', title: 'payment, one at a time', setup: one, kind: 'payment', set: main, concurrency: 1 });
    await run(r, { id: 'payment-hot', group: 'workflow', title: 'payment, one hot wallet', setup: one, kind: 'payment', set: hot });
    await run(r, { id: 'transfer', group: 'workflow', title: 'transfer between random pairs', setup: one, kind: 'transfer', set: main });
    results.batches = await measureBatches({ baseUrl: r.baseUrl, secret, envId, walletsFile: main.file, items: profile.batchItems, repeats: profile.batchRepeats });
    log(`batch of ${profile.batchItems} transfers (atomic): ${JSON.stringify(results.batches)}`);
    for (const set of scaleSets) {
      if (set === main) continue;
      await run(r, { id: `payment-scale-${set.count}`, group: 'scale', title: `payment over ${set.count} wallets`, setup: one, kind: 'payment', set });
      await run(r, { id: `read-scale-${set.count}`, group: 'scale', title: `wallet read over ${set.count} wallets`, setup: one, kind: 'read', set });
    }
  });

  if (profile.levers) {
    // Each lever alone: the default layout with one thing changed (or the other layout).
    const lever = async (id: string, setup: string, layout: Layout, env: NodeJS.ProcessEnv, extra: { halfRate?: boolean; read?: boolean; sequential?: boolean; hot?: boolean } = {}) =>
      withLayout(layout, env, async (r) => {
        if (extra.read) await run(r, { id: `lever-${id}-read`, group: 'lever', title: 'wallet read', setup, kind: 'read', set: main });
        const peak = await run(r, { id: `lever-${id}`, group: 'lever', title: 'payment', setup, kind: 'payment', set: main });
        if (extra.halfRate) {
          const rate = Math.max(1, Math.round(peak.result.throughput / 2));
          await run(r, { id: `lever-${id}-half-rate`, group: 'lever', title: 'payment at half the peak rate', setup, kind: 'payment', set: main, rate });
        }
        if (extra.hot) await run(r, { id: `lever-${id}-hot`, group: 'lever', title: 'payment, one hot wallet', setup, kind: 'payment', set: hot });
        if (extra.sequential) {
          await run(r, { id: `lever-${id}-sequential`, group: 'lever', title: 'payment, one at a time', setup, kind: 'payment', set: main, concurrency: 1 });
        }
      });
    const dflt = { ...baseEnv, ...shipped.env };
    // The layout that was the default before issue 11, and its client lever.
    await lever('two-process', 'two processes (API + worker), grpc client', 'two-process', { ...dflt }, { halfRate: true, read: true, sequential: true });
    await lever('native-client', 'two processes, API client on a NativeConnection', 'two-process', { ...dflt, TEMPORAL_CLIENT_CONNECTION: 'native' });
    await lever('no-eager', 'one process, eager workflow start off', 'combined', { ...dflt, TEMPORAL_EAGER_START: 'false' }, { sequential: true });
    await lever('two-activities', 'one process, payment as two local activities (createOrder + chargeOrder)', 'combined', { ...dflt, PAYMENT_SINGLE_ACTIVITY: 'false' }, { sequential: true });
    // Coalescing (PAYMENT_COALESCE): one walletPayments workflow per wallet, payments as
    // Updates posted in batches; compare with the default rows `payment` and `payment-hot`.
    await lever('coalesce', 'one process, payments coalesced per wallet (walletPayments, Updates)', 'combined', { ...dflt, PAYMENT_COALESCE: 'true' }, { hot: true, sequential: true });
    // Batching at the API (PAYMENT_BATCH) is the default: this row is one workflow per payment.
    await lever('batch-off', 'one process, payments not batched (PAYMENT_BATCH=false: one workflow per payment)', 'combined', { ...dflt, PAYMENT_BATCH: 'false' }, { halfRate: true, hot: true, sequential: true });
    await lever('no-rate-limit', 'one process, rate limiter off', 'combined', { ...dflt, RATE_LIMIT_PER_SECOND: '0' }, { read: true });
    await lever('pool-20', 'one process, DATABASE_POOL_MAX 20', 'combined', { ...dflt, DATABASE_POOL_MAX: '20' });
    await lever('no-cache', 'one process, maxCachedWorkflows 0 (workflow cache off)', 'combined', { ...dflt, WORKER_MAX_CACHED_WORKFLOWS: '0' });
    await lever('reuse-context-off', 'one process, reuseV8Context off', 'combined', { ...dflt, WORKER_REUSE_V8_CONTEXT: 'false' });
    if (stack.startOtherTemporal) {
      const noWal = await stack.startOtherTemporal('no-wal');
      try {
        await lever('no-wal', 'one process, Temporal SQLite rollback journal (no WAL, synchronous=full)', 'combined', { ...dflt, TEMPORAL_ADDRESS: noWal.address });
      } finally {
        await noWal.stop();
      }
      // Not a setting to ship (a restart loses every workflow): it shows how much of the
      // workflow path's cost is the dev server writing its SQLite file.
      const memory = await stack.startOtherTemporal('in-memory');
      try {
        await lever('in-memory', 'one process, Temporal SQLite in memory (no persistence: a measurement only)', 'combined', { ...dflt, TEMPORAL_ADDRESS: memory.address }, { halfRate: true });
      } finally {
        await memory.stop();
      }
    }
  }

  if (profile.pgbenchSeconds > 0) {
    results.pgbench = await runPgbench(pool, stack.databaseUrl, profile.pgbenchSeconds, profile.concurrency);
    log(`pgbench: ${JSON.stringify(results.pgbench)}`);
  }

  const seeded = await timed(results.seedSeconds, `history ${profile.historyPostings} + sparse ${profile.historySparsePostings} postings`, () =>
    seedHistory(pool, envId, profile.historyPostings, profile.historySparsePostings),
  );
  results.history = await measureHistory(
    pool,
    { ...seeded, walletPostings: profile.historyPostings, sparsePostings: profile.historySparsePostings },
    profile.historyRepeats,
  );
  log(`history: ${JSON.stringify(results.history.pages)}; sparse wallet: ${JSON.stringify(results.history.sparsePages)}`);
  for (const { name, plan } of results.history.plans) log(`history plan, ${name} (the route's statement, EXPLAIN ANALYZE):\n${plan}`);
  results.exports = [];
  for (const format of ['csv', 'jsonl'] as const) {
    const done = await measureExport(baseEnv, envId, format);
    results.exports.push(done);
    log(`export ${format}: ${JSON.stringify(done)}`);
  }
  results.finishedAt = new Date().toISOString();
  return results;
}
