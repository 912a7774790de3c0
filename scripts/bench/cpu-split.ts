/**
 * `npm run bench:cpu -- --temporal=dev|postgres`: CPU per payment, per process, measured
 * from the kernel's counters (/proc/<pid>/stat utime+stime), for docs/scaling.md.
 * Everything runs on a Postgres cluster of its own (scripts/chaos/pg-cluster.ts), so its
 * backends' CPU is this run's alone even on a shared machine: the app's database, and
 * with --temporal=postgres the real Temporal server's two databases too. The two-process
 * layout (API + worker) as shipped; 1,000 wallets; payments at a fixed rate (open loop,
 * the machine not saturated: what a payment costs) and then closed loop (the peak).
 * Prints a table and writes bench/results/<date>-cpu-<temporal>.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { buildWorkflowBundle } from '../workflow-bundle';
import { startOwnCluster } from '../chaos/pg-cluster';
import {
  ROOT,
  createDatabase,
  ensureTemporalServerTools,
  ensureTools,
  freePort,
  startTemporal,
  startTemporalServer,
  stopChild,
  temporalKindFromArgs,
} from '../stack';
import { runLoad } from './load';
import { startLayout } from './processes';
import { createBenchEnvironment, seedWallets } from './seed';

const TICK_MS = 10; // USER_HZ is 100 on Linux

function ticks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15)
  } catch {
    return 0;
  }
}

/** The postmaster and every process it forked (backends, WAL writer, checkpointer …). */
function postgresTicks(postmaster: number | null): number {
  if (!postmaster) return 0;
  let sum = ticks(postmaster);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmaster) sum += ticks(Number(entry));
    } catch {
      // gone
    }
  }
  return sum;
}

/** All CPUs' busy time (everything on the machine, other users included): context only. */
function machineBusyTicks(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return cpu.reduce((a, b) => a + b, 0) - idle;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const temporalKind = temporalKindFromArgs(args);
  const rate = Number(args.find((a) => a.startsWith('--rate='))?.slice(7) ?? 15);
  const seconds = Number(args.find((a) => a.startsWith('--seconds='))?.slice(10) ?? 20);
  const log = (line: string) => console.log(`[cpu] ${line}`);
  const tools = ensureTools();
  const serverTools = temporalKind === 'postgres' ? ensureTemporalServerTools() : null;
  const dir = mkdtempSync(join(tmpdir(), 'paynocchio-cpu-'));
  const cluster = await startOwnCluster(await freePort());
  const stops: (() => Promise<void>)[] = [() => cluster.destroy(), async () => rmSync(dir, { recursive: true, force: true })];
  try {
    const databaseUrl = await createDatabase(cluster.url, 'paynocchio_cpu', true);
    const pool = createPool(databaseUrl, 4);
    await migrate(pool);
    const { envId, secret } = await createBenchEnvironment(pool);
    const wallets = await seedWallets(pool, envId, 'main', 1_000, dir);
    await pool.end();
    const port = await freePort();
    const temporal = serverTools
      ? await startTemporalServer({ tools: serverTools, postgresUrl: cluster.url, database: 'paynocchio_cpu_temporal', port, fresh: true, maxConns: 20, quiet: true })
      : await startTemporal({ temporal: tools.temporal, port, dbFile: join(dir, 'temporal.sqlite'), quiet: true });
    stops.unshift(() => stopChild(temporal.child));
    const bundle = await buildWorkflowBundle();
    const bundlePath = join(dir, 'workflow-bundle.js');
    writeFileSync(bundlePath, bundle);
    const running = await startLayout({
      layout: 'two-process',
      env: {
        ...process.env,
        NODE_ENV: 'production',
        SECRETS_PEPPER: randomBytes(32).toString('hex'),
        DATABASE_URL: databaseUrl,
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_TASK_QUEUE: 'paynocchio-cpu',
        WORKFLOW_BUNDLE_PATH: bundlePath,
      },
    });
    stops.unshift(() => running.stop());
    log(`stack up: temporal ${temporalKind} at ${temporal.address}, own postgres ${cluster.url}`);
    const spec = { baseUrl: running.baseUrl, secret, envId, kind: 'payment' as const, walletsFile: wallets.file, maxRequests: 1_000_000, warmupMs: 0 };
    await runLoad({ ...spec, concurrency: 16, durationMs: 5_000 }); // warm-up: JIT, pools, caches

    const processes = { temporal: temporal.child!.pid!, api: running.pids.api!, worker: running.pids.worker! };
    const sample = () => ({
      temporal: ticks(processes.temporal),
      api: ticks(processes.api),
      worker: ticks(processes.worker),
      postgres: postgresTicks(cluster.pid()),
      machine: machineBusyTicks(),
    });
    // Postgres's side per payment: WAL bytes (all databases) and, per database, commits and
    // rows written (pg_stat_database; idle backends flush them within 10 s, hence the pause).
    const admin = new PgClient({ connectionString: cluster.url });
    await admin.connect();
    stops.unshift(() => admin.end());
    const pgSample = async () => {
      await new Promise((r) => setTimeout(r, 11_000)); // idle backends flush their counters within 10 s (PGSTAT_IDLE_INTERVAL)
      const wal = await admin.query<{ lsn: string }>(`select pg_current_wal_lsn()::text as lsn`);
      const dbs = await admin.query<{ datname: string; commits: string; inserted: string; updated: string; deleted: string }>(
        `select datname, xact_commit::text as commits, tup_inserted::text as inserted, tup_updated::text as updated, tup_deleted::text as deleted
         from pg_stat_database where datname like 'paynocchio_cpu%'`,
      );
      return { lsn: wal.rows[0]!.lsn, dbs: Object.fromEntries(dbs.rows.map((r) => [r.datname, r])) };
    };
    const walBytes = async (from: string, to: string) =>
      Number((await admin.query<{ d: string }>(`select pg_wal_lsn_diff($2::pg_lsn, $1::pg_lsn)::text as d`, [from, to])).rows[0]!.d);
    const rows: Record<string, unknown>[] = [];
    for (const mode of [{ name: `open loop ${rate}/s`, rate }, { name: 'closed loop, 16 connections' }]) {
      const pgBefore = await pgSample();
      const before = sample();
      const result = await runLoad({ ...spec, concurrency: 16, durationMs: seconds * 1000, ...(mode.rate ? { rate: mode.rate } : {}) });
      const after = sample();
      const pgAfter = await pgSample();
      const n = Math.max(1, result.ok);
      const perPayment = (a: string, b: string) => Math.round(((Number(b) - Number(a)) / n) * 10) / 10;
      const postgresPerPayment = {
        walBytes: Math.round((await walBytes(pgBefore.lsn, pgAfter.lsn)) / n),
        databases: Object.fromEntries(
          Object.entries(pgAfter.dbs).map(([name, a]) => {
            const b = pgBefore.dbs[name] ?? { commits: '0', inserted: '0', updated: '0', deleted: '0' };
            return [name, { commits: perPayment(b.commits, a.commits), inserted: perPayment(b.inserted, a.inserted), updated: perPayment(b.updated, a.updated), deleted: perPayment(b.deleted, a.deleted) }];
          }),
        ),
      };
      const per = (k: keyof typeof before) => Math.round((((after[k] - before[k]) * TICK_MS) / Math.max(1, result.ok)) * 10) / 10;
      const row = {
        mode: mode.name,
        payments: result.ok,
        errors: result.errors,
        perSecond: result.throughput,
        p50: result.latencyMs.p50,
        p99: result.latencyMs.p99,
        cpuMsPerPayment: { temporal: per('temporal'), worker: per('worker'), api: per('api'), postgres: per('postgres'), machineAll: per('machine') },
        postgresPerPayment,
      };
      rows.push(row);
      log(JSON.stringify(row));
    }
    const out = { temporal: temporalKind, date: new Date().toISOString(), rows };
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    const file = join('bench/results', `${out.date.replace(/[:]/g, '-').replace(/\..+$/, '')}-cpu-${temporalKind}.json`);
    writeFileSync(join(ROOT, file), JSON.stringify(out, null, 2) + '\n');
    log(`wrote ${file}`);
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
  }
}

main().catch((err) => {
  console.error('[cpu] failed:', err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
