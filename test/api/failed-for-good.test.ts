/**
 * A movement that can never succeed fails for good instead of retrying forever.
 * Activities classify database errors (src/activities/failures.ts): SQLSTATE classes
 * 22, 23 and 42 are non-retryable; serialization failures, deadlocks and lost
 * connections are retried (within the step's budget, src/workflows/options.ts). The
 * workflow fails, compensated where something was held (a payment's order is marked
 * failed), and the API answers 500 `internal` with the workflow id, never 503.
 *
 * The errors are provoked in real Postgres: a NUL in text (22021, what old main
 * retried forever), and test triggers that raise a data exception (22023) when a
 * marked order completes and a check violation (23514) when a marked wallet is posted to.
 */
import { ApplicationFailure } from '@temporalio/common';
import { DatabaseError } from 'pg';
import request from 'supertest';
import { createActivities } from '../../src/activities';
import { toActivityFailure } from '../../src/activities/failures';
import { errorBody, HTTP_STATUS } from '../../src/api/errors';
import { runMovement } from '../../src/api/temporal';
import { DomainError } from '../../src/domain/errors';
import type { PaymentInput } from '../../src/domain/types';
import { recordHistory } from '../helpers/record-history';
import { expectLedgerExact, newEnvironment, seedBody, startTestContext, type TestContext } from '../helpers/stack';

const SYNC_TIMEOUT_MS = 15_000;
let ctx: TestContext;
let env: { envId: string; secret: string };
let walletId: string;
let poisonedWalletId: string;
const user = 'doomed-user';
const suffix = `${process.pid}-${Date.now()}`;
const fn = {
  order: `test_poison_charge_${suffix}`.replace(/-/g, '_'),
  posting: `test_poison_posting_${suffix}`.replace(/-/g, '_'),
  withdrawal: `test_poison_withdrawal_${suffix}`.replace(/-/g, '_'),
};

beforeAll(async () => {
  ctx = await startTestContext({ syncTimeoutMs: SYNC_TIMEOUT_MS });
  env = await newEnvironment(ctx.pool, 'failed-for-good');
  walletId = (await post('/wallet/', { env_id: env.envId, user_id: user })).body.id;
  poisonedWalletId = (await post('/wallet/', { env_id: env.envId, user_id: 'poisoned-user' })).body.id;
  expect((await post('/wallet/topup/', { env_id: env.envId, user_id: user, wallet_id: walletId, amount: 100 })).status).toBe(200);
  // Postgres refuses, for this test's rows only, what it would refuse for real data.
  await ctx.pool.query(`
    create function ${fn.order}() returns trigger language plpgsql as $$
    begin
      if new.product_id = 'poison-${env.envId}' and new.status = 'completed' then
        raise exception 'poisoned charge' using errcode = '22023';
      end if;
      return new;
    end $$;
    create trigger ${fn.order} before update on orders for each row execute function ${fn.order}();
    create function ${fn.posting}() returns trigger language plpgsql as $$
    begin
      if new.wallet_id = ${poisonedWalletId} then
        raise exception 'poisoned posting' using errcode = '23514';
      end if;
      return new;
    end $$;
    create trigger ${fn.posting} before insert on ledger_postings for each row execute function ${fn.posting}();
    create function ${fn.withdrawal}() returns trigger language plpgsql as $$
    begin
      if new.env_id = ${env.envId} and new.user_id = '${user}' then
        raise exception 'poisoned withdrawal' using errcode = '22023';
      end if;
      return new;
    end $$;
    create trigger ${fn.withdrawal} before insert on withdrawals for each row execute function ${fn.withdrawal}();
  `);
});
afterAll(async () => {
  await ctx.pool.query(`
    drop trigger if exists ${fn.order} on orders; drop function if exists ${fn.order}();
    drop trigger if exists ${fn.posting} on ledger_postings; drop function if exists ${fn.posting}();
    drop trigger if exists ${fn.withdrawal} on withdrawals; drop function if exists ${fn.withdrawal}();
  `);
  await expectLedgerExact(ctx.pool);
  await ctx.close();
});

function post(path: string, body: Record<string, unknown>, key?: string) {
  const req = request(ctx.app).post(path).set('X-Wallet-Signature', env.secret);
  if (key) req.set('Idempotency-Key', key);
  return req.send(seedBody(body));
}
const balance = async (id: string) => (await ctx.pool.query('select balance::text from wallets where id = $1', [id])).rows[0].balance as string;
const statusOf = async (workflowId: string) => (await ctx.client.workflow.getHandle(workflowId).describe()).status.name;

describe('the classification of database errors', () => {
  const pgError = (code: string, message = 'x') => Object.assign(new DatabaseError(message, 0, 'error'), { code });

  test.each(['22021', '22003', '22P02', '23505', '23514', '42703', '42P01'])('SQLSTATE %s → non-retryable database_error', (code) => {
    const failure = toActivityFailure(pgError(code));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'database_error', nonRetryable: true });
  });

  test.each(['40001', '40P01', '57P01', '08006', '53300'])('SQLSTATE %s (serialization, deadlock, lost connection, …) is retried', (code) => {
    const err = pgError(code);
    expect(toActivityFailure(err)).toBe(err);
  });

  test('a connection that dropped (no SQLSTATE) is retried', () => {
    const err = new Error('Connection terminated unexpectedly');
    expect(toActivityFailure(err)).toBe(err);
  });

  test('a real NUL reaching Postgres through an activity → non-retryable database_error naming 22021', async () => {
    const activities = createActivities({ pool: ctx.pool, stripe: ctx.stripe, publicUrl: 'http://127.0.0.1' });
    const input = { envId: env.envId, walletId, userId: user, amount: '100', currency: 'USD', productId: 'a\u0000b', workflowId: `direct-${suffix}` };
    const err = await activities.createOrder(input as Parameters<typeof activities.createOrder>[0]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'database_error', nonRetryable: true });
    expect((err as Error).message).toMatch(/22021/);
  });
});

test('a payment workflow given a NUL (past the API) fails at once: 500 internal with its workflow id, not a retry loop', async () => {
  const deps = { client: ctx.client, taskQueue: ctx.stack.taskQueue, searchAttributes: true, syncTimeoutMs: SYNC_TIMEOUT_MS };
  const args: PaymentInput = { envId: env.envId, walletId, userId: user, amount: '100', currency: 'USD', productId: 'a\u0000b' };
  const started = Date.now();
  const err = await runMovement(deps, { workflowType: 'payment', envId: env.envId, walletId, userId: user, idempotencyKey: `nul-${suffix}`, args }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(Date.now() - started).toBeLessThan(SYNC_TIMEOUT_MS); // old main: 503 at the sync timeout, the workflow still running
  expect(err).toBeInstanceOf(DomainError);
  const domain = err as DomainError;
  expect(domain.code).toBe('internal');
  expect(HTTP_STATUS[domain.code]).toBe(500);
  const workflowId = domain.details.workflow_id as string;
  expect(workflowId).toMatch(new RegExp(`^payment-${env.envId}-key-nul-`));
  expect(errorBody(domain).error.details).toEqual({ workflow_id: workflowId, outcome: 'refused' });
  expect(await statusOf(workflowId)).toBe('FAILED');
  const orders = await ctx.pool.query('select count(*)::int as n from orders where workflow_id = $1', [workflowId]);
  expect(orders.rows[0].n).toBe(0);
});

test('a charge Postgres refuses for good (22023): the order is marked failed, nothing moves, 500 internal with the workflow id; a retry answers the same', async () => {
  const before = await balance(walletId);
  const body = { env_id: env.envId, user_id: user, wallet_id: walletId, amount: 10, product_id: `poison-${env.envId}` };
  const started = Date.now();
  const res = await post('/wallet/payment/', body, `poison-${suffix}`);
  expect(Date.now() - started).toBeLessThan(SYNC_TIMEOUT_MS);
  expect(res.status).toBe(500);
  expect(res.body.error.code).toBe('internal');
  const workflowId = res.body.error.details.workflow_id as string;
  expect(workflowId).toMatch(new RegExp(`^payment-${env.envId}-key-poison-`));
  expect(await statusOf(workflowId)).toBe('FAILED');
  recordHistory('payment-charge-failed-for-good', workflowId);
  const order = await ctx.pool.query('select status, failure_code, transaction_id from orders where workflow_id = $1', [workflowId]);
  expect(order.rows).toEqual([{ status: 'failed', failure_code: 'internal', transaction_id: null }]);
  expect(await balance(walletId)).toBe(before);
  const posted = await ctx.pool.query('select count(*)::int as n from ledger_transactions where idempotency_id = $1', [`${workflowId}:charge`]);
  expect(posted.rows[0].n).toBe(0);

  // The same request again: the failed workflow's answer, not a new attempt and not a 503.
  const again = await post('/wallet/payment/', body, `poison-${suffix}`);
  expect(again.status).toBe(500);
  expect(again.body.error.details.workflow_id).toBe(workflowId);
});

test.each([
  ['topup', '/wallet/topup/', () => ({ env_id: env.envId, user_id: 'poisoned-user', wallet_id: poisonedWalletId, amount: 5 })],
  ['transfer', '/wallet/transfer/', () => ({ env_id: env.envId, user_id: user, wallet_id: walletId, to_wallet_id: poisonedWalletId, amount: 1 })],
])('a %s Postgres refuses for good (23514) → 500 internal with the workflow id, nothing moved', async (kind, path, body) => {
  const before = [await balance(walletId), await balance(poisonedWalletId)];
  const started = Date.now();
  const res = await post(path, body());
  expect(Date.now() - started).toBeLessThan(SYNC_TIMEOUT_MS);
  expect(res.status).toBe(500);
  expect(res.body.error.code).toBe('internal');
  const workflowId = res.body.error.details.workflow_id as string;
  expect(workflowId).toMatch(new RegExp(`^${kind}-${env.envId}-`));
  expect(await statusOf(workflowId)).toBe('FAILED');
  expect([await balance(walletId), await balance(poisonedWalletId)]).toEqual(before);
});

test('a withdrawal whose hold Postgres refuses for good (22023): nothing held, 500 internal with the workflow id', async () => {
  const before = await ctx.pool.query('select balance::text, held::text from wallets where id = $1', [walletId]);
  const started = Date.now();
  const res = await post('/wallet/withdraw/', { env_id: env.envId, user_id: user, wallet_id: walletId, amount: 5 }, `withdraw-poison-${suffix}`);
  expect(Date.now() - started).toBeLessThan(SYNC_TIMEOUT_MS);
  expect(res.status).toBe(500);
  expect(res.body.error.code).toBe('internal');
  const workflowId = res.body.error.details.workflow_id as string;
  expect(workflowId).toMatch(new RegExp(`^withdraw-${env.envId}-key-withdraw-poison-`));
  expect(await statusOf(workflowId)).toBe('FAILED');
  const after = await ctx.pool.query('select balance::text, held::text from wallets where id = $1', [walletId]);
  expect(after.rows).toEqual(before.rows);
  const again = await post('/wallet/withdraw/', { env_id: env.envId, user_id: user, wallet_id: walletId, amount: 5 }, `withdraw-poison-${suffix}`);
  expect(again.status).toBe(500);
  expect(again.body.error.details.workflow_id).toBe(workflowId);
});

test('no workflow of the environment is left running', async () => {
  let running = 0;
  for await (const _ of ctx.client.workflow.list({ query: `PaynocchioEnvId = "${env.envId}" AND ExecutionStatus = "Running"` })) running += 1;
  expect(running).toBe(0);
});
