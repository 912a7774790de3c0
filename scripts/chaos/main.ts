/**
 * `npm run chaos`: the full run (100 wallets, ≥20 worker kills, one Temporal restart,
 * one Postgres restart). `-- --quick` runs the short version CI also runs.
 */
import { parseArgs } from 'node:util';
import { runChaos } from './harness';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, seconds: { type: 'string' }, quiet: { type: 'boolean' } } });
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
