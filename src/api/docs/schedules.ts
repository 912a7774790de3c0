/** OpenAPI entries of routes/schedules.ts (registered by src/api/openapi.ts). */
import { z } from 'zod';
import { RUN_OUTCOMES, SCHEDULE_KINDS, SCHEDULE_STATUSES } from '../../domain/schedules';
import { moneyOut, movementHeaders, registerRoute, walletRecordFields } from './registry';
import { idempotencyConflict, page } from './responses';
import { CreateBody, ListQuery, ScheduleParams, EnvQuery, EnvBody } from '../routes/schedules';

const ScheduleSchema = z
  .object({
    ...walletRecordFields,
    kind: z.enum(SCHEDULE_KINDS),
    amount: moneyOut.openapi({ example: 9.99 }),
    currency: z.string(),
    product_id: z.string().nullable(),
    to_wallet_id: z.string().nullable(),
    cron: z.string().nullable(),
    every: z.string().nullable(),
    timezone: z.string().nullable(),
    start_at: z.string().nullable(),
    end_at: z.string().nullable(),
    status: z.enum(SCHEDULE_STATUSES),
    status_reason: z.string().nullable().openapi({ description: 'requested, refused_runs, wallet_closed or deleted' }),
    consecutive_failures: z.number().int(),
    next_run_at: z.string().nullable(),
    temporal_schedule_id: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Schedule');
const one = { description: 'The schedule', schema: z.object({ schedule: ScheduleSchema }) };

export function documentSchedules(): void {
  const RunSchema = z
    .object({
      scheduled_at: z.string(),
      outcome: z.enum(RUN_OUTCOMES),
      movement_id: z.string().nullable().openapi({ description: 'The order (payment), transfer or withdrawal the run made' }),
      movement_workflow_id: z.string().nullable(),
      code: z.string().nullable().openapi({ description: 'Why the run was refused, failed or skipped' }),
      message: z.string().nullable(),
      workflow_id: z.string(),
      finished_at: z.string().nullable(),
    })
    .openapi('ScheduleRun');

  const scheduleExample = {
    id: '300000001', env_id: '123', wallet_id: '123', user_id: '123', kind: 'payment', amount: 9.99, currency: 'USD', product_id: 'plan-pro',
    to_wallet_id: null, cron: '0 9 * * MON', every: null, timezone: 'Europe/Paris', start_at: null, end_at: null, status: 'active',
    status_reason: null, consecutive_failures: 0, next_run_at: '2026-01-05T08:00:00.000Z', temporal_schedule_id: 'paynocchio-schedule-300000001',
    created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z',
  };
  const runExample = {
    scheduled_at: '2026-01-05T08:00:00.000Z', outcome: 'succeeded', movement_id: '500000007',
    movement_workflow_id: 'scheduled-payment-123-300000001-2026-01-05T08:00:00Z', code: null, message: null,
    workflow_id: 'schedule-run-300000001-2026-01-05T08:00:00Z', finished_at: '2026-01-05T08:00:00.210Z',
  };
  registerRoute({
    method: 'post', path: '/wallet/schedules', tags: ['schedules'], summary: 'Schedule a recurring payment, transfer or withdraw',
    description:
      'Exactly one of `cron` (5 fields, in `timezone`, default UTC) and `every` (at least one minute; counted from `start_at`, else from now). ' +
      'Each run starts the ordinary movement workflow with an id made of the schedule id and the scheduled time, so a run never moves money twice. ' +
      'A refused run is recorded and sent as `schedule.run_failed`; after `SCHEDULE_PAUSE_AFTER_FAILURES` (3) in a row the schedule pauses itself (`schedule.paused`). ' +
      "A scheduled withdraw needs the user's Stripe account to be able to receive payouts already (else the run is refused `account_not_onboarded`). " +
      'With an Idempotency-Key a retried create answers the same schedule.',
    request: {
      body: CreateBody,
      headers: movementHeaders,
      bodyExample: { env_id: 123, user_id: 123, wallet_id: 123, kind: 'payment', amount: 9.99, product_id: 'plan-pro', cron: '0 9 * * MON', timezone: 'Europe/Paris' },
    },
    responses: {
      201: { ...one, example: { schedule: scheduleExample } },
      409: idempotencyConflict,
    },
  });
  registerRoute({
    method: 'get', path: '/wallet/schedules', tags: ['schedules'], summary: "A wallet's schedules, newest first",
    request: { query: ListQuery },
    responses: { 200: page('schedules', ScheduleSchema, [scheduleExample]) },
  });
  registerRoute({
    method: 'get', path: '/wallet/schedules/:schedule_id', tags: ['schedules'], summary: 'A schedule and its recent runs',
    request: { params: ScheduleParams, query: EnvQuery },
    responses: {
      200: {
        description: 'The schedule and its last 20 runs, newest first',
        schema: z.object({ schedule: ScheduleSchema, runs: z.array(RunSchema) }),
        example: { schedule: scheduleExample, runs: [runExample] },
      },
    },
  });
  registerRoute({
    method: 'post', path: '/wallet/schedules/:schedule_id/pause', tags: ['schedules'], summary: 'Pause a schedule',
    request: { params: ScheduleParams, body: EnvBody, bodyExample: { env_id: 123 } },
    responses: {
      200: { ...one, example: { schedule: { ...scheduleExample, status: 'paused', status_reason: 'requested', next_run_at: null } } },
      409: { description: 'The schedule has ended' },
    },
  });
  registerRoute({
    method: 'post', path: '/wallet/schedules/:schedule_id/resume', tags: ['schedules'], summary: 'Resume a paused schedule',
    description: 'Clears the count of refused runs. Runs missed while paused are not made up.',
    request: { params: ScheduleParams, body: EnvBody, bodyExample: { env_id: 123 } },
    responses: { 200: { ...one, example: { schedule: scheduleExample } }, 409: { description: 'The schedule has ended' } },
  });
  registerRoute({
    method: 'delete', path: '/wallet/schedules/:schedule_id', tags: ['schedules'], summary: 'End a schedule',
    description: 'No run starts after this; the schedule and its runs stay readable. Ending an ended schedule answers it again.',
    request: { params: ScheduleParams, query: EnvQuery },
    responses: { 200: { ...one, example: { schedule: { ...scheduleExample, status: 'ended', status_reason: 'deleted', next_run_at: null } } } },
  });

}
