/**
 * The short chaos run: its own Postgres cluster and Temporal server, a few hundred
 * retried requests while the worker is SIGKILLed, then the exactly-once checks and
 * the ledger invariants. `npm run chaos` is the long version with restarts.
 */
import { runChaos } from '../../scripts/chaos/harness';

test('a few hundred requests through a worker kill: every 2xx happened once, NUL fields refused, nothing left running, the ledger is exact', async () => {
  const report = await runChaos({
    wallets: 100,
    durationMs: 12_000,
    maxRequests: 400,
    concurrency: 6,
    killEveryMs: 2_500,
    // On a machine busy with the rest of the suite a fresh worker needs time for its first
    // tasks; killed sooner, it would make no progress at all.
    minWorkerUpMs: 1_500,
    restartTemporal: false,
    restartPostgres: false,
    verbose: false,
  });
  expect(report.violations).toEqual([]);
  expect(report.kills).toBeGreaterThanOrEqual(1);
  expect(report.answered2xx).toBeGreaterThan(0);
  expect(report.poisonSent).toBeGreaterThan(0); // NUL-field requests went out, each refused with 422 (checkOutcomes)
  expect(report.unresolved).toBe(0);
}, 180_000);
