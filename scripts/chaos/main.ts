/**
 * `npm run chaos`: the full run (scripts/chaos/profiles.ts: 24 clients, 100 wallets, a
 * worker kill at most every 40 s, Temporal restarted at ~4.7 min and Postgres at ~8.7 min;
 * the load goes on until the thresholds are met, at most 45 minutes). It exits non-zero, printing why, unless the run reached the full
 * thresholds (scripts/chaos/verdict.ts: ≥ 20 kills, both restarts, ≥ 1,000 carried
 * requests of every kind, nothing unresolved or unexpected, no violation); it writes
 * chaos/results/<time>.json and, for the full profile, CHAOS.md.
 * `-- --quick`: a minute, lower thresholds (results file `<time>-quick.json`).
 * `-- --seconds N --concurrency N --kill-every S`: override the profile (the thresholds stay).
 * `-- --apis 2 --workers 2`: the horizontal mode (two API processes, two workers, one
 * Temporal, one Postgres); `-- --temporal=postgres`: the real Temporal server on Postgres.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { machineInfo } from '../bench/machine';
import { ensureTools, ROOT, temporalKindFromArgs } from '../stack';
import { runChaos } from './harness';
import { PROFILES } from './profiles';
import { writeChaosResults } from './report';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      seconds: { type: 'string' },
      concurrency: { type: 'string' },
      'kill-every': { type: 'string' },
      quiet: { type: 'boolean' },
      apis: { type: 'string' },
      workers: { type: 'string' },
      temporal: { type: 'string' },
    },
  });
  const profile = PROFILES[values.quick ? 'quick' : 'full'];
  const seconds = Number(values.seconds ?? profile.seconds);
  const concurrency = Number(values.concurrency ?? profile.concurrency);
  const killEveryMs = Number(values['kill-every'] ?? profile.killEverySeconds) * 1000;
  const apis = Number(values.apis ?? 1);
  const workers = Number(values.workers ?? 1);
  const temporal = temporalKindFromArgs(values.temporal ? [`--temporal=${values.temporal}`] : []);
  for (const [name, n] of Object.entries({ seconds, concurrency, 'kill-every': killEveryMs, apis, workers })) {
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  }
  const options = {
    wallets: 100,
    durationMs: seconds * 1000,
    stopWhenMet: profile.stopWhenMet,
    faultWindowMs: Math.min(seconds, profile.faultWindowSeconds) * 1000,
    maxRequests: profile.maxRequests,
    maxAttempts: profile.maxAttempts,
    concurrency,
    killEveryMs,
    minWorkerUpMs: profile.minWorkerUpMs,
    restartTemporal: profile.restartTemporal,
    restartPostgres: profile.restartPostgres,
    apis,
    workers,
    temporal,
  };
  const machine = await machineInfo(null, ensureTools().temporal);
  console.log(
    `[chaos] ${profile.name}: ${profile.stopWhenMet ? 'until the thresholds are met, at most ' : ''}${seconds} s of load, ${concurrency} clients, a worker kill at most every ${(killEveryMs / 1000).toFixed(1)} s` +
      `${options.restartTemporal ? ', Temporal and Postgres restarted once each' : ''}; load average ${machine.loadAvg.join(' ')}`,
  );
  const report = await runChaos({ ...options, thresholds: profile.thresholds, verbose: !values.quiet });
  const written = writeChaosResults(ROOT, {
    date: machine.date,
    profile: profile.name,
    command: ['npm run chaos', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    machine,
    loadAvgAfter: loadavg().map((l) => Math.round(l * 100) / 100),
    options,
    thresholds: profile.thresholds,
    report,
  });

  for (const v of report.violations.slice(0, 50)) console.log(`VIOLATION ${v}`);
  if (report.violations.length > 50) console.log(`… ${report.violations.length - 50} more violations in ${written.json}`);
  console.log(
    `requests ${report.requests} (carried ${report.carried}, refused ${report.refused}, unexpected ${report.unexpected}, unresolved ${report.unresolved}), ` +
      `kills ${report.kills}, restarts ${report.restarts.temporal + report.restarts.postgres} (temporal ${report.restarts.temporal}, postgres ${report.restarts.postgres}), ` +
      `violations ${report.violations.length}, ${report.seconds} s`,
  );
  for (const [kind, f] of Object.entries(report.kinds)) {
    console.log(`  ${kind.padEnd(13)} sent ${String(f.sent).padStart(6)}  carried ${String(f.carried).padStart(6)}  refused ${JSON.stringify(f.refused)}  unexpected ${JSON.stringify(f.unexpected)}  unresolved ${JSON.stringify(f.unresolved)}`);
  }
  console.log(`wrote ${written.json}${written.markdown ? ` and ${written.markdown}` : ''}`);
  if (report.passed) {
    console.log(`PASSED (${profile.name} thresholds)`);
    process.exit(0);
  }
  console.log(`FAILED (${profile.name} thresholds):`);
  for (const reason of report.failures) console.log(`  - ${reason}`);
  process.exit(1);
}

main().catch((err) => {
  console.error('chaos failed:', err);
  process.exit(2);
});
