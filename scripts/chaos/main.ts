/**
 * `npm run chaos`: the full run (100 wallets, ≥20 worker kills, one Temporal restart,
 * one Postgres restart). `-- --quick` runs the short version CI also runs.
 * `-- --apis 2 --workers 2`: the horizontal mode (two API processes, two workers, one
 * Temporal, one Postgres); `-- --temporal=postgres`: the real Temporal server on Postgres.
 */
import { parseArgs } from 'node:util';
import { temporalKindFromArgs } from '../stack';
import { runChaos } from './harness';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      seconds: { type: 'string' },
      quiet: { type: 'boolean' },
      apis: { type: 'string' },
      workers: { type: 'string' },
      temporal: { type: 'string' },
    },
  });
  const quick = Boolean(values.quick);
  const seconds = Number(values.seconds ?? (quick ? 15 : 75));
  const report = await runChaos({
    wallets: 100,
    durationMs: seconds * 1000,
    maxRequests: quick ? 400 : 100_000,
    concurrency: quick ? 8 : 16,
    killEveryMs: quick ? 6_000 : 2_500,
    restartTemporal: !quick,
    restartPostgres: !quick,
    verbose: !values.quiet,
    apis: Number(values.apis ?? 1),
    workers: Number(values.workers ?? 1),
    temporal: temporalKindFromArgs(values.temporal ? [`--temporal=${values.temporal}`] : []),
  });
  for (const v of report.violations.slice(0, 50)) console.log(`VIOLATION ${v}`);
  console.log(JSON.stringify(report, null, 2));
  console.log(
    `requests ${report.requests}, kills ${report.kills}, restarts ${report.restarts.temporal + report.restarts.postgres} (temporal ${report.restarts.temporal}, postgres ${report.restarts.postgres}), violations ${report.violations.length}`,
  );
  process.exit(report.violations.length ? 1 : 0);
}

main().catch((err) => {
  console.error('chaos failed:', err);
  process.exit(2);
});
