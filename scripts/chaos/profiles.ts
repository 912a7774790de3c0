/**
 * How long and how hard a chaos run is, and what it must reach to pass. `full` is
 * `npm run chaos` (the figures in CHAOS.md), `quick` is `npm run chaos -- --quick`
 * (does it work at all, in under a minute). The suite's smoke runs
 * (test/chaos/*.test.ts) pass their own, lower thresholds.
 */
import { FULL_THRESHOLDS, type ChaosThresholds } from './verdict';

export interface ChaosProfile {
  name: 'full' | 'quick';
  seconds: number;
  /** Concurrent clients. */
  concurrency: number;
  /** The worker is killed this many times over the load, evenly spaced (one every seconds / killSlots). */
  killSlots: number;
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
    // 7 kinds × 1,000 carried requests, on 2 shared cores where a respawned worker takes
    // ~10 s to be ready: every kill costs ~15 s of stalled requests, 20 of them ~5 minutes.
    seconds: 1_200,
    concurrency: 24,
    // 28 slots for the 20 kills wanted: a slot is skipped while a fresh worker has not
    // yet polled for minWorkerUpMs (after a kill, or when Temporal's restart took it down).
    killSlots: 28,
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
    concurrency: 8,
    killSlots: 3,
    minWorkerUpMs: 3_000,
    maxRequests: 2_000,
    maxAttempts: 10,
    restartTemporal: false,
    restartPostgres: false,
    thresholds: { minKills: 2, minTemporalRestarts: 0, minPostgresRestarts: 0, minCarriedPerKind: 10, maxUnresolved: 0, maxUnexpected: 0 },
  },
};
