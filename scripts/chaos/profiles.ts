/**
 * How long and how hard a chaos run is, and what it must reach to pass. `full` is
 * `npm run chaos` (the figures in CHAOS.md), `quick` is `npm run chaos -- --quick`
 * (does it work at all, in under a minute). The suite's smoke runs
 * (test/chaos/*.test.ts) pass their own, lower thresholds.
 */
import { FULL_THRESHOLDS, type ChaosThresholds } from './verdict';

export interface ChaosProfile {
  name: 'full' | 'quick';
  /** How long the load runs; with stopWhenMet, the most it may run. */
  seconds: number;
  /** End the load once every threshold is met (kills, restarts, carried per kind). */
  stopWhenMet: boolean;
  /** Concurrent clients. */
  concurrency: number;
  /** At least this long between two worker kills. */
  killEverySeconds: number;
  /** Temporal is restarted at 35% of this, Postgres at 65%. */
  faultWindowSeconds: number;
  /** A (re)started worker polls at least this long before it may be killed again. */
  minWorkerUpMs: number;
  maxRequests: number;
  maxAttempts: number;
  restartTemporal: boolean;
  restartPostgres: boolean;
  thresholds: ChaosThresholds;
}

export const PROFILES: Record<ChaosProfile['name'], ChaosProfile> = {
  full: {
    name: 'full',
    // Until it has proved what it must, at most 45 minutes: on 2 shared cores a respawned
    // worker takes ~10 s to be ready and every kill stalls the requests in flight for
    // ~15-20 s, so how fast 1,000 requests of each of the 7 kinds are carried depends on
    // what the rest of the machine is doing. 20 kills 40 s apart take 13-14 minutes:
    // the shortest a passing run can be.
    seconds: 2_700,
    stopWhenMet: true,
    concurrency: 24,
    killEverySeconds: 40,
    faultWindowSeconds: 800,
    minWorkerUpMs: 5_000,
    maxRequests: 1_000_000,
    maxAttempts: 12,
    restartTemporal: true,
    restartPostgres: true,
    thresholds: FULL_THRESHOLDS,
  },
  quick: {
    name: 'quick',
    seconds: 60,
    stopWhenMet: false,
    concurrency: 8,
    killEverySeconds: 20,
    faultWindowSeconds: 60,
    minWorkerUpMs: 3_000,
    maxRequests: 2_000,
    maxAttempts: 10,
    restartTemporal: false,
    restartPostgres: false,
    thresholds: { minKills: 2, minTemporalRestarts: 0, minPostgresRestarts: 0, minCarriedPerKind: 10, maxUnresolved: 0, maxUnexpected: 0 },
  },
};
