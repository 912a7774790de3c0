/**
 * `npm run bench` (`-- --quick` for a shorter pass): starts its own stack like
 * `npm run dev` does but apart from it — database paynocchio_bench (fresh each run),
 * a Temporal dev server on free ports with its SQLite file (WAL) in .data/bench/ —
 * runs the plan in run.ts, writes BENCHMARKS.md and bench/results/<date>.json, and
 * stops everything it started.
 * `-- --temporal=postgres`: the same plan against the real Temporal server on Postgres
 * (databases paynocchio_bench_temporal(_visibility), fresh); its results go to
 * bench/results/<date>-temporal-postgres.json and bench/BENCHMARKS-temporal-postgres.md,
 * so BENCHMARKS.md stays the default layout's.
 */
import { rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { buildWorkflowBundle } from '../workflow-bundle';
import { ROOT, ensureTemporalServerTools, ensureTools, freePort, pickDatabase, startTemporal, startTemporalServer, stopChild, temporalKindFromArgs } from '../stack';
import { PROFILES } from './profiles';
import { writeResults } from './report';
import { runBench } from './run';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const temporalKind = temporalKindFromArgs(args);
  const chosen = PROFILES[args.includes('--smoke') ? 'smoke' : args.includes('--quick') ? 'quick' : 'full'];
  // `--levers`: the lever rows even in a profile without them (a check that they all start).
  const profile = args.includes('--levers') ? { ...chosen, levers: true, pgbenchSeconds: Math.max(1, chosen.pgbenchSeconds) } : chosen;
  const started = Date.now();
  const log = (line: string) => console.log(`[bench +${((Date.now() - started) / 1000).toFixed(0)}s] ${line}`);
  const dataDir = join(ROOT, '.data/bench');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });

  const tools = ensureTools();
  const db = await pickDatabase('paynocchio_bench', { fresh: true, dataDir });
  const pool = createPool(db.url, 2);
  await migrate(pool);
  await pool.end();
  log(`postgres: ${db.source}, database paynocchio_bench`);

  const stops: (() => Promise<void>)[] = [db.stop];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    const temporalPort = await freePort();
    const [temporal, bundle] = await Promise.all([
      temporalKind === 'postgres'
        ? startTemporalServer({ tools: ensureTemporalServerTools(), postgresUrl: db.url, database: 'paynocchio_bench_temporal', port: temporalPort, fresh: true, maxConns: 20, quiet: true })
        : startTemporal({ temporal: tools.temporal, port: temporalPort, dbFile: join(dataDir, 'temporal.sqlite'), quiet: true }),
      buildWorkflowBundle(),
    ]);
    stops.push(() => stopChild(temporal.child));
    const bundlePath = join(dataDir, 'workflow-bundle.js');
    writeFileSync(bundlePath, bundle);
    log(
      temporalKind === 'postgres'
        ? `temporal server ${temporal.address} (Postgres: paynocchio_bench_temporal)`
        : `temporal dev server ${temporal.address} (SQLite WAL in .data/bench/)`,
    );

    const results = await runBench(
      {
        databaseUrl: db.url,
        temporalAddress: temporal.address,
        temporalPid: temporal.child?.pid,
        temporalPath: tools.temporal,
        workflowBundlePath: bundlePath,
        taskQueue: 'paynocchio-bench',
        workDir: dataDir,
        ...(temporalKind === 'postgres' ? { temporalSetup: 'real Temporal server on Postgres' } : {}),
        log,
        startOtherTemporal: async (variant) => {
          const other = await startTemporal({
            temporal: tools.temporal,
            port: await freePort(),
            // No file: the dev server keeps SQLite in memory.
            ...(variant === 'no-wal' ? { dbFile: join(dataDir, 'temporal-no-wal.sqlite'), sqliteWal: false } : {}),
            quiet: true,
          });
          return { address: other.address, stop: () => stopChild(other.child) };
        },
      },
      profile,
    );
    const written = writeResults(ROOT, results, temporalKind === 'postgres' ? 'temporal-postgres' : undefined);
    log(`wrote ${written.markdown} and ${written.json} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await stopAll();
  }
}

main().catch((err) => {
  console.error('[bench] failed:', err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
