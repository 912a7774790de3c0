/**
 * Periodic clean-up in the worker: idempotency keys past their retention, signed-mode
 * signatures past their window, webhook events past EVENTS_RETENTION_DAYS whose
 * deliveries are all over (the events feed's retention).
 */
import type { Pool } from '../db/pool';
import { purgeSeenSignatures } from '../db/queries/environments';
import { purgeKeys } from '../db/queries/idempotency';
import { purgeEvents } from '../db/queries/events-feed';

const EVERY_MS = 10 * 60 * 1000;

export function startHousekeeping(pool: Pool, retentionHours: number, eventsRetentionDays = 30): { stop: () => void } {
  const run = () => {
    void purgeKeys(pool, retentionHours).catch((err: Error) => console.error('[housekeeping] purge failed:', err.message));
    void purgeEvents(pool, eventsRetentionDays).catch((err: Error) => console.error('[housekeeping] events purge failed:', err.message));
    void purgeSeenSignatures(pool).catch((err: Error) => console.error('[housekeeping] seen signatures purge failed:', err.message));
  };
  const timer = setInterval(run, EVERY_MS);
  timer.unref();
  run();
  return { stop: () => clearInterval(timer) };
}
