/** Periodic clean-up in the worker: idempotency keys past their retention. */
import type { Pool } from '../db/pool';
import { purgeKeys } from '../db/queries/idempotency';

const EVERY_MS = 10 * 60 * 1000;

export function startHousekeeping(pool: Pool, retentionHours: number): { stop: () => void } {
  const run = () => purgeKeys(pool, retentionHours).catch((err: Error) => console.error('[housekeeping] purge failed:', err.message));
  const timer = setInterval(run, EVERY_MS);
  timer.unref();
  void run();
  return { stop: () => clearInterval(timer) };
}
