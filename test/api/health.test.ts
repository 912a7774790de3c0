/** /healthz and /readyz, and 503 (not 500) when Postgres or Temporal cannot be reached. */
import { Client, Connection } from '@temporalio/client';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { createPool } from '../../src/db/pool';
import { freePort } from '../../scripts/stack';
import { newEnvironment, readStack, seedBody, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await startTestContext();
});
afterAll(async () => ctx.close());

test('healthz answers while the process is up; readyz when Postgres and Temporal answer', async () => {
  expect((await request(ctx.app).get('/healthz')).body).toEqual({ status: 'ok' });
  const ready = await request(ctx.app).get('/readyz');
  expect(ready.status).toBe(200);
  expect(ready.body).toEqual({ status: 'ready', checks: { postgres: 'ok', temporal: 'ok' } });
});

test('Temporal unreachable: readyz 503, a money movement 503 with a JSON error, nothing moved', async () => {
  const deadPort = await freePort();
  const connection = Connection.lazy({ address: `127.0.0.1:${deadPort}`, connectTimeout: 500 });
  const client = new Client({ connection });
  const app = createApp({ pool: ctx.pool, temporal: { client, taskQueue: 'none', searchAttributes: true, syncTimeoutMs: 3_000 } });
  const env = await newEnvironment(ctx.pool, 'temporal down');
  const walletId = (await request(app).post('/wallet/').set('X-Wallet-Signature', env.secret).send(seedBody({ env_id: env.envId, user_id: 'u' }))).body.id;

  const ready = await request(app).get('/readyz');
  expect(ready.status).toBe(503);
  expect(ready.body.checks).toEqual({ postgres: 'ok', temporal: 'unavailable' });

  const topup = await request(app)
    .post('/wallet/topup/')
    .set('X-Wallet-Signature', env.secret)
    .send(seedBody({ env_id: env.envId, user_id: 'u', wallet_id: walletId, amount: 5 }));
  expect(topup.status).toBe(503);
  expect(topup.body.error.code).toBe('unavailable');
  const { rows } = await ctx.pool.query('select balance::text from wallets where id = $1', [walletId]);
  expect(rows[0].balance).toBe('0');
  // The dead connection stays open: closing it under a pending start's retries threw
  // "Channel has been shut down" into whichever test file ran next in this jest worker.
}, 30_000);

test('a movement nobody works on: 503 after the sync timeout, and its result long-poll is cancelled, not left open', async () => {
  const stack = readStack();
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const history = jest.spyOn(connection.workflowService, 'getWorkflowExecutionHistory');
  const client = new Client({ connection });
  const taskQueue = `nobody-polls-${Date.now()}`; // no worker: the workflow never runs
  const app = createApp({ pool: ctx.pool, temporal: { client, taskQueue, searchAttributes: true, syncTimeoutMs: 1_000 } });
  const env = await newEnvironment(ctx.pool, 'nobody works');
  const walletId = (await request(app).post('/wallet/').set('X-Wallet-Signature', env.secret).send(seedBody({ env_id: env.envId, user_id: 'u' }))).body.id;

  const topup = await request(app)
    .post('/wallet/topup/')
    .set('X-Wallet-Signature', env.secret)
    .send(seedBody({ env_id: env.envId, user_id: 'u', wallet_id: walletId, amount: 5 }));
  expect(topup.status).toBe(503);
  expect(topup.body.error).toMatchObject({ code: 'unavailable', details: { workflow_id: expect.any(String) } });
  // The result's long poll (the server holds it for up to 20 s) was opened, and every such
  // call has ended within moments of the answer: cancelled, not waiting on.
  expect(history).toHaveBeenCalled();
  const polls = history.mock.results.map((r) => r.value as Promise<unknown>);
  const settled = await Promise.race([
    Promise.allSettled(polls),
    new Promise<'still open'>((resolve) => setTimeout(() => resolve('still open'), 3_000)),
  ]);
  expect(settled).not.toBe('still open');
  expect((settled as PromiseSettledResult<unknown>[]).map((s) => s.status)).toContain('rejected');
  const { rows } = await ctx.pool.query('select balance::text from wallets where id = $1', [walletId]);
  expect(rows[0].balance).toBe('0');
  await client.workflow.getHandle(topup.body.error.details.workflow_id).terminate('test: nobody polls this queue');
  history.mockRestore();
  await connection.close();
}, 30_000);

test('Postgres unreachable: readyz 503 and reads answer 503, not 500', async () => {
  const deadPort = await freePort();
  const pool = createPool(`postgres://postgres@127.0.0.1:${deadPort}/nothing`, 2);
  const app = createApp({ pool, temporal: { client: ctx.client, taskQueue: readStack().taskQueue, searchAttributes: true, syncTimeoutMs: 3_000 } });
  const ready = await request(app).get('/readyz');
  expect(ready.status).toBe(503);
  expect(ready.body.checks.postgres).toBe('unavailable');
  const read = await request(app).get('/wallet/').set('X-Wallet-Signature', 'secret_any').query({ env_id: 1, user_id: 'u' });
  expect(read.status).toBe(503);
  expect(read.body.error.code).toBe('unavailable');
  await pool.end();
});
