/**
 * How long and how big a bench run is. `full` is `npm run bench` (about 12-15 minutes
 * on 2 cores), `quick` is `npm run bench -- --quick`, `smoke` is what `npm test` runs
 * (does it work at all; its numbers mean nothing).
 */
export interface Profile {
  name: 'full' | 'quick' | 'smoke';
  /** Measured time per scenario, after warmupMs. */
  durationMs: number;
  warmupMs: number;
  /** Uncounted payments right after a layout starts: the worker's first tasks are slow (JIT, workflow context). */
  layoutWarmupMs: number;
  /** Hard cap on requests per scenario (bounded in count as well as time). */
  maxRequests: number;
  concurrency: number;
  /** The main wallet set ("over 1,000 wallets"). */
  wallets: number;
  /** Extra wallet-set sizes for the scale rows (the main set is reused for its size). */
  scaleWallets: number[];
  historyPostings: number;
  /** The sparse wallet's postings, spread evenly among the history's (the route's plan must still walk its index). */
  historySparsePostings: number;
  /** Timed repetitions of each history query. */
  historyRepeats: number;
  pgbenchSeconds: number;
  /** One atomic POST /wallet/batch of this many transfers, `batchRepeats` times (the batch row). */
  batchItems: number;
  batchRepeats: number;
  /** Run the lever rows (two processes, eager off, two activities, limiter off, cache, V8 context, pool, SQLite). */
  levers: boolean;
}

export const PROFILES: Record<Profile['name'], Profile> = {
  full: {
    name: 'full',
    durationMs: 12_000,
    warmupMs: 2_000,
    layoutWarmupMs: 3_000,
    maxRequests: 200_000,
    concurrency: 32,
    wallets: 1_000,
    scaleWallets: [10, 1_000, 100_000],
    historyPostings: 1_000_000,
    historySparsePostings: 1_000,
    historyRepeats: 200,
    pgbenchSeconds: 10,
    batchItems: 1_000,
    batchRepeats: 5,
    levers: true,
  },
  quick: {
    name: 'quick',
    durationMs: 5_000,
    warmupMs: 1_000,
    layoutWarmupMs: 2_000,
    maxRequests: 100_000,
    concurrency: 32,
    wallets: 1_000,
    scaleWallets: [10, 1_000, 100_000],
    historyPostings: 200_000,
    historySparsePostings: 1_000,
    historyRepeats: 50,
    pgbenchSeconds: 4,
    batchItems: 1_000,
    batchRepeats: 3,
    levers: true,
  },
  smoke: {
    name: 'smoke',
    durationMs: 500,
    warmupMs: 100,
    layoutWarmupMs: 800,
    maxRequests: 2_000,
    concurrency: 4,
    wallets: 20,
    scaleWallets: [],
    historyPostings: 2_000,
    historySparsePostings: 100,
    historyRepeats: 5,
    pgbenchSeconds: 0,
    batchItems: 20,
    batchRepeats: 2,
    levers: false,
  },
};
