/**
 * Schedules (issue 13, section 1): a payment, transfer or withdraw that runs on a cron
 * expression or a fixed interval. The row (migration 012) is the truth; each is one
 * Temporal Schedule (src/api/schedules-temporal.ts) whose runs start the ordinary
 * movement workflow (src/workflows/schedule-run.ts). Authenticated and checked like
 * the other /wallet routes: the environment must be the secret's, the wallet the user's.
 */
import { Router } from 'express';
import { z } from 'zod';
import { DomainError } from '../../domain/errors';
import { parseAmount } from '../../domain/money';
import { SCHEDULE_KINDS, type Schedule } from '../../domain/schedules';
import { withTransaction, type Pool } from '../../db/pool';
import {
  deleteUnstartedSchedule,
  findSchedule,
  insertSchedule,
  listRecentRuns,
  listWalletSchedules,
  lockSchedule,
  setScheduleStatus,
} from '../../db/queries/schedules';
import { presentSchedule, presentScheduleRun } from '../../wire/present';
import { envEndpoint } from '../env-endpoint';
import { fieldText } from '../json';
import { moneyEndpoint } from '../money-endpoint';
import { keysetPage } from '../pagination';
import {
  createTemporalSchedule,
  deleteTemporalSchedule,
  nextRunAt,
  pauseTemporalSchedule,
  resumeTemporalSchedule,
  SCHEDULE_DEFAULTS,
  type ScheduleDeps,
} from '../schedules-temporal';
import { amount, cursor, id, pageLimit, productId, userId } from '../schemas';
import { withinSyncTimeout, type TemporalDeps } from '../temporal';
import { requireWallet } from '../../services/wallets';

const text = (schema: z.ZodString) => z.preprocess(fieldText, schema);

/** 5-field cron (minute hour day-of-month month day-of-week) or a descriptor; Temporal judges the values. */
const CRON = /^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|[0-9A-Za-z*,/?#-]+( [0-9A-Za-z*,/?#-]+){4})$/;
const cron = text(
  z
    .string({ error: 'must be a cron expression such as "0 9 * * MON"' })
    .max(120, 'must be at most 120 characters')
    .regex(CRON, 'must be a cron expression of 5 fields (minute hour day-of-month month day-of-week), such as "0 9 * * MON", or @daily, @weekly…'),
).openapi({ type: 'string', example: '0 9 * * MON' });

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
const every = text(
  z
    .string({ error: 'must be a duration such as 15m, 24h or 7d' })
    .regex(/^[1-9][0-9]{0,7}[smhd]$/, 'must be a whole number of s, m, h or d, such as 15m, 24h or 7d'),
).openapi({ type: 'string', example: '24h' });

const instant = text(
  z
    .string({ error: 'must be an ISO 8601 timestamp with a time zone' })
    .max(40, 'is too long')
    .refine((t) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(t) && !Number.isNaN(Date.parse(t)), {
      message: 'must be an ISO 8601 timestamp with a time zone, such as 2026-01-05T09:00:00Z',
    }),
).openapi({ type: 'string', example: '2026-01-05T09:00:00Z' });

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
const timezone = text(
  z
    .string({ error: 'must be an IANA time zone such as Europe/Paris' })
    .max(64, 'is too long')
    .refine(isTimeZone, { message: 'must be an IANA time zone such as Europe/Paris' }),
).openapi({ type: 'string', example: 'Europe/Paris' });

export const CreateBody = z.object({
  env_id: id,
  user_id: userId,
  wallet_id: id,
  kind: z.enum(SCHEDULE_KINDS, { error: `must be one of ${SCHEDULE_KINDS.join(', ')}` }),
  amount,
  product_id: productId.optional().openapi({ description: 'Required for a payment; not allowed otherwise' }),
  to_wallet_id: id.optional().openapi({ description: 'Required for a transfer; not allowed otherwise' }),
  cron: cron.optional(),
  every: every.optional(),
  start_at: instant.optional(),
  end_at: instant.optional(),
  timezone: timezone.optional().openapi({ description: 'Time zone of the cron expression (default UTC)' }),
});
export const ListQuery = z.object({ env_id: id, wallet_id: id, limit: pageLimit, cursor });
export const ScheduleParams = z.object({ schedule_id: id });
export const EnvQuery = z.object({ env_id: id });
export const EnvBody = z.object({ env_id: id });

type CreateBodyT = z.infer<typeof CreateBody>;

function invalid(field: string, message: string): DomainError {
  return new DomainError('invalid_request', `${field}: ${message}`, { field });
}

/** Cross-field rules the schema cannot say alone. */
function checkShape(body: CreateBodyT, minIntervalMs: number): number | null {
  if ((body.cron === undefined) === (body.every === undefined)) throw invalid('cron', 'give exactly one of cron and every');
  if (body.kind === 'payment' && body.product_id === undefined) throw invalid('product_id', 'is required for a payment');
  if (body.kind !== 'payment' && body.product_id !== undefined) throw invalid('product_id', `is not allowed for a ${body.kind}`);
  if (body.kind === 'transfer' && body.to_wallet_id === undefined) throw invalid('to_wallet_id', 'is required for a transfer');
  if (body.kind !== 'transfer' && body.to_wallet_id !== undefined) throw invalid('to_wallet_id', `is not allowed for a ${body.kind}`);
  if (body.start_at && body.end_at && Date.parse(body.end_at) <= Date.parse(body.start_at)) throw invalid('end_at', 'must be after start_at');
  if (body.end_at && Date.parse(body.end_at) <= Date.now()) throw invalid('end_at', 'must be in the future');
  if (body.every === undefined) return null;
  const seconds = Number(body.every.slice(0, -1)) * UNIT_SECONDS[body.every.slice(-1) as keyof typeof UNIT_SECONDS];
  if (seconds * 1000 < minIntervalMs) throw invalid('every', `must be at least ${minIntervalMs / 1000} seconds`);
  if (seconds > 366 * 86_400) throw invalid('every', 'must be at most 366 days');
  return seconds;
}

async function withNext(temporal: TemporalDeps, s: Schedule) {
  const next = await nextRunAt(temporal, s).catch(() => null);
  return presentSchedule(s, next);
}

export function scheduleRoutes(pool: Pool, temporal: TemporalDeps, deps: ScheduleDeps = {}): Router {
  const router = Router();
  const minIntervalMs = deps.minIntervalMs ?? SCHEDULE_DEFAULTS.minIntervalMs;
  const bounded = <T>(s: { temporalScheduleId: string }, fn: () => Promise<T>) =>
    withinSyncTimeout(temporal, s.temporalScheduleId, 'Temporal did not answer in time; retry the request', fn);

  router.post(
    '/wallet/schedules',
    ...moneyEndpoint(pool, CreateBody, async (body, envId, idem) => {
      const everySeconds = checkShape(body, minIntervalMs);
      const wallet = await requireWallet(pool, envId, body.wallet_id, body.user_id);
      if (wallet.status === 'closed') throw new DomainError('wallet_not_active', `wallet ${wallet.id} is closed`, { wallet_id: wallet.id });
      const minor = parseAmount(body.amount, wallet.currency);
      if (body.to_wallet_id !== undefined) {
        if (body.to_wallet_id === wallet.id) throw invalid('to_wallet_id', 'must be another wallet than wallet_id');
        const to = await requireWallet(pool, envId, body.to_wallet_id);
        if (to.status === 'closed') throw new DomainError('wallet_not_active', `wallet ${to.id} is closed`, { wallet_id: to.id });
        if (to.currency !== wallet.currency) {
          throw new DomainError('currency_mismatch', `wallet ${to.id} holds ${to.currency}, not ${wallet.currency}`, { wallet_id: to.id });
        }
      }
      const { schedule, created } = await insertSchedule(pool, {
        envId,
        walletId: wallet.id,
        userId: wallet.userId,
        kind: body.kind,
        amount: minor.toString(),
        currency: wallet.currency,
        productId: body.product_id ?? null,
        toWalletId: body.to_wallet_id ?? null,
        cron: body.cron ?? null,
        everySeconds,
        timezone: body.timezone ?? null,
        startAt: body.start_at ?? null,
        endAt: body.end_at ?? null,
        // With the request's hash: a key reused for another body after its row was purged makes a new schedule.
        idempotencyKey: idem.idempotencyKey ? `${idem.idempotencyKey}-${idem.requestHash!.slice(0, 16)}` : null,
      });
      let next: string | null;
      try {
        await bounded(schedule, () => createTemporalSchedule(temporal, schedule, deps));
        next = await bounded(schedule, () => nextRunAt(temporal, schedule));
        if (next === null && created) {
          await deleteTemporalSchedule(temporal, schedule.temporalScheduleId);
          throw invalid(body.cron ? 'cron' : 'end_at', 'the schedule would never run (no time matches before end_at)');
        }
      } catch (err) {
        // Nothing of it may stay: no run can have happened, the client gets the error and nothing changed.
        if (created) await deleteUnstartedSchedule(pool, schedule.id);
        throw err;
      }
      return { status: 201, body: { schedule: presentSchedule(schedule, next) } };
    }),
  );

  router.get(
    '/wallet/schedules',
    ...envEndpoint({ query: ListQuery }, 'query', async ({ query }, envId) => {
      const wallet = await requireWallet(pool, envId, query.wallet_id);
      const { page, nextCursor } = await keysetPage(query, (limit, before) => listWalletSchedules(pool, envId, wallet.id, limit, before), (s) => s.id);
      return { schedules: await Promise.all(page.map((s) => withNext(temporal, s))), next_cursor: nextCursor };
    }),
  );

  const found = async (envId: string, scheduleId: string): Promise<Schedule> => {
    const s = await findSchedule(pool, envId, scheduleId);
    if (!s) throw new DomainError('not_found', `schedule ${scheduleId} not found`, { schedule_id: scheduleId });
    return s;
  };

  router.get(
    '/wallet/schedules/:schedule_id',
    ...envEndpoint({ params: ScheduleParams, query: EnvQuery }, 'query', async ({ params }, envId) => {
      const s = await found(envId, params.schedule_id);
      const runs = await listRecentRuns(pool, s.id, 20);
      return { schedule: await withNext(temporal, s), runs: runs.map(presentScheduleRun) };
    }),
  );

  /** Changes the row's status under its lock, then brings the Temporal Schedule in line (a retry repeats both). */
  const change = async (envId: string, scheduleId: string, to: 'paused' | 'active'): Promise<Schedule> => {
    await found(envId, scheduleId);
    const s = await withTransaction(pool, async (db) => {
      const current = (await lockSchedule(db, scheduleId))!;
      if (current.status === 'ended') {
        throw new DomainError('conflict', `schedule ${scheduleId} has ended`, { status: current.status, status_reason: current.statusReason });
      }
      if (current.status === to) return current;
      return to === 'paused' ? setScheduleStatus(db, current.id, 'paused', 'requested') : setScheduleStatus(db, current.id, 'active', null, { resetFailures: true });
    });
    await bounded(s, () =>
      to === 'paused' ? pauseTemporalSchedule(temporal, s, 'paused through the API') : resumeTemporalSchedule(temporal, s, 'resumed through the API', deps),
    );
    return s;
  };

  router.post(
    '/wallet/schedules/:schedule_id/pause',
    ...envEndpoint({ params: ScheduleParams, body: EnvBody }, 'body', async ({ params }, envId) => ({
      schedule: presentSchedule(await change(envId, params.schedule_id, 'paused')),
    })),
  );

  router.post(
    '/wallet/schedules/:schedule_id/resume',
    ...envEndpoint({ params: ScheduleParams, body: EnvBody }, 'body', async ({ params }, envId) => ({
      schedule: await withNext(temporal, await change(envId, params.schedule_id, 'active')),
    })),
  );

  router.delete(
    '/wallet/schedules/:schedule_id',
    ...envEndpoint({ params: ScheduleParams, query: EnvQuery }, 'query', async ({ params }, envId) => {
      await found(envId, params.schedule_id);
      const s = await withTransaction(pool, async (db) => {
        const current = (await lockSchedule(db, params.schedule_id))!;
        return current.status === 'ended' ? current : setScheduleStatus(db, current.id, 'ended', 'deleted');
      });
      await bounded(s, () => deleteTemporalSchedule(temporal, s.temporalScheduleId));
      return { schedule: presentSchedule(s) };
    }),
  );

  return router;
}
