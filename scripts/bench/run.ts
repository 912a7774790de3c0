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
import { runLoad } from './load';
import { machineInfo, type MachineInfo } from './machine';
import { runPgbench, type PgbenchResult } from './pgbench';
import { startLayout, type Layout, type Running } from './processes';
import type { Profile } from './profiles';
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
}

export interface BenchResults {
  profile: Profile['name'];
  machine: MachineInfo;
  finishedAt?: string;
  scenarios: ScenarioRecord[];
  pgbench: PgbenchResult[] | { skipped: string };
  history: HistoryResult | null;
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
    rec: { id: string; group: ScenarioRecord['group']; title: string; setup: string; kind: ScenarioKind; set: WalletSet; rate?: number },
  ): Promise<ScenarioRecord> => {
    const result = await runLoad({
      baseUrl: running.baseUrl,
      secret,
      envId,
      kind: rec.kind,
      walletsFile: rec.set.file,
      concurrency: profile.concurrency,
      durationMs: profile.durationMs,
      maxRequests: profile.maxRequests,
      warmupMs: profile.warmupMs,
      ...(rec.rate ? { rate: rec.rate } : {}),
    });
    const record: ScenarioRecord = {
      id: rec.id,
      group: rec.group,
      title: rec.title,
      setup: rec.setup,
      kind: rec.kind,
      wallets: rec.set.count,
      concurrency: rec.rate ? null : profile.concurrency,
      rate: rec.rate ?? null,
      result,
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
  const withLayout = async <T>(layout: Layout, env: NodeJS.ProcessEnv, fn: (r: Running) => Promise<T>): Promise<T> => {
    const running = await startLayout({ layout, env });
    try {
      // Uncounted: the first requests of a fresh process pay for JIT and pool connections.
      await runLoad({
        baseUrl: running.baseUrl,
        secret,
        envId,
        kind: 'payment',
        walletsFile: main.file,
        concurrency: profile.concurrency,
        durationMs: profile.layoutWarmupMs,
        maxRequests: profile.maxRequests,
        warmupMs: 0,
      });
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
  });

  // The workflow path in the default layout: API and worker as two processes.
  const two = `two processes (API + worker), grpc client, cache 2000, ${stack.temporalSetup ?? 'SQLite WAL'}`;
  await withLayout('two-process', { ...baseEnv }, async (r) => {
    await run(r, { id: 'read', group: 'workflow', title: 'wallet read (GET /wallet/)', setup: two, kind: 'read', set: main });
    await run(r, { id: 'topup', group: 'workflow', title: 'topup', setup: two, kind: 'topup', set: main });
    const peak = await run(r, { id: 'payment', group: 'workflow', title: 'payment', setup: two, kind: 'payment', set: main });
    const rate = Math.max(1, Math.round(peak.result.throughput / 2));
    await run(r, { id: 'payment-half-rate', group: 'workflow', title: 'payment at half the peak rate', setup: two, kind: 'payment', set: main, rate });
    await run(r, { id: 'payment-hot', group: 'workflow', title: 'payment, one hot wallet', setup: two, kind: 'payment', set: hot });
    await run(r, { id: 'transfer', group: 'workflow', title: 'transfer between random pairs', setup: two, kind: 'transfer', set: main });
    for (const set of scaleSets) {
      if (set === main) continue;
      await run(r, { id: `payment-scale-${set.count}`, group: 'scale', title: `payment over ${set.count} wallets`, setup: two, kind: 'payment', set });
      await run(r, { id: `read-scale-${set.count}`, group: 'scale', title: `wallet read over ${set.count} wallets`, setup: two, kind: 'read', set });
    }
  });

  if (profile.levers) {
    const lever = async (id: string, setup: string, layout: Layout, env: NodeJS.ProcessEnv, halfRate = false) =>
      withLayout(layout, env, async (r) => {
        const peak = await run(r, { id: `lever-${id}`, group: 'lever', title: 'payment', setup, kind: 'payment', set: main });
        if (halfRate) {
          const rate = Math.max(1, Math.round(peak.result.throughput / 2));
          await run(r, { id: `lever-${id}-half-rate`, group: 'lever', title: 'payment at half the peak rate', setup, kind: 'payment', set: main, rate });
        }
      });
    await lever('no-cache', 'two processes, maxCachedWorkflows 0 (workflow cache off)', 'two-process', { ...baseEnv, WORKER_MAX_CACHED_WORKFLOWS: '0' });
    await lever('native-client', 'two processes, API client on a NativeConnection', 'two-process', { ...baseEnv, TEMPORAL_CLIENT_CONNECTION: 'native' });
    // One process holds both pools' worth of connections, so Postgres sees the same total.
    const combined = { ...baseEnv, DATABASE_POOL_MAX: '20' };
    await lever('combined', 'one process (API + worker, shared NativeConnection), eager start off', 'combined', { ...combined, TEMPORAL_EAGER_START: 'false' });
    await lever('combined-eager', 'one process, eager workflow start on', 'combined', { ...combined, TEMPORAL_EAGER_START: 'true' }, true);
    if (stack.startOtherTemporal) {
      const noWal = await stack.startOtherTemporal('no-wal');
      try {
        await lever('no-wal', 'two processes, Temporal SQLite rollback journal (no WAL, synchronous=full)', 'two-process', {
          ...baseEnv,
          TEMPORAL_ADDRESS: noWal.address,
        });
      } finally {
        await noWal.stop();
      }
      // Not a setting to ship (a restart loses every workflow): it shows how much of the
      // workflow path's cost is the dev server writing its SQLite file.
      const memory = await stack.startOtherTemporal('in-memory');
      try {
        await lever('in-memory', 'two processes, Temporal SQLite in memory (no persistence: a measurement only)', 'two-process', {
          ...baseEnv,
          TEMPORAL_ADDRESS: memory.address,
        });
        await lever('in-memory-combined-eager', 'one process, eager start, Temporal SQLite in memory (a measurement only)', 'combined', {
          ...combined,
          TEMPORAL_EAGER_START: 'true',
          TEMPORAL_ADDRESS: memory.address,
        }, true);
      } finally {
        await memory.stop();
      }
    }
  }

  if (profile.pgbenchSeconds > 0) {
    results.pgbench = await runPgbench(pool, stack.databaseUrl, profile.pgbenchSeconds, profile.concurrency);
    log(`pgbench: ${JSON.stringify(results.pgbench)}`);
  }

  const historyWallet = await timed(results.seedSeconds, `history ${profile.historyPostings} postings`, () => seedHistory(pool, envId, profile.historyPostings));
  results.history = await measureHistory(pool, historyWallet, profile.historyPostings, profile.historyRepeats);
  log(`history: ${JSON.stringify(results.history.pages)}`);
  results.finishedAt = new Date().toISOString();
  return results;
}
