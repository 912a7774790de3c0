/**
 * The short chaos run: its own Postgres cluster and Temporal server, a few hundred
 * retried requests while the worker is SIGKILLed, then the checks (each request's
 * effect against its body, balances, orders, withdrawals, the drain, the ledger
 * invariants) and the verdict against this run's own, lower thresholds: at least one
 * kill, a few requests of every kind carried, nothing unresolved, no unexpected answer.
 * `npm run chaos` is the long version with restarts and the full thresholds (CHAOS.md);
 * test/unit/chaos-checks.test.ts shows the verdict failing runs that prove nothing.
 */
import { runChaos } from '../../scripts/chaos/harness';
import type { ChaosThresholds } from '../../scripts/chaos/verdict';

const SMOKE: ChaosThresholds = { minKills: 1, minTemporalRestarts: 0, minPostgresRestarts: 0, minCarriedPerKind: 3, maxUnresolved: 0, maxUnexpected: 0 };

test('a few hundred requests through a worker kill: each effect is what its request asked, NUL fields refused, nothing left running, the ledger is exact', async () => {
  const report = await runChaos({
    wallets: 100,
    // Until its own thresholds are met (a kill, 3 carried of each kind), at most 60 s: on
    // a machine busy with the rest of the suite 12 s carried 2 NUL-field requests.
    durationMs: 60_000,
    stopWhenMet: true,
    maxRequests: 400,
    concurrency: 6,
    killEveryMs: 2_500,
    // On a machine busy with the rest of the suite a fresh worker needs time for its first
    // tasks; killed sooner, it would make no progress at all.
    minWorkerUpMs: 1_500,
    restartTemporal: false,
    restartPostgres: false,
    verbose: false,
    thresholds: SMOKE,
  });
  expect(report.violations).toEqual([]);
  expect(report.failures).toEqual([]);
  expect(report.passed).toBe(true);
  // Every kind went out and was carried, the NUL-field ones refused with 422 (checkOutcomes).
  expect(Object.keys(report.kinds).sort()).toEqual(['payment', 'payment_nul', 'refund', 'topup', 'transfer', 'transfer_nul', 'withdraw']);
}, 300_000);
