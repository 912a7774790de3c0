/**
 * The webhook URL policy and endpoint limits on the real stack (issue 10, section 5):
 * with WEBHOOK_ALLOW_PRIVATE_NETWORKS off (the default) a registration to an internal
 * address is 422 and a delivery to an endpoint stored with one (written by SQL, as an
 * old row would be) is refused without connecting and given up; disabling an endpoint
 * stops deliveries already queued; an environment has a bounded number of endpoints.
 *
 * Only loopback is ever connected to: the receivers listen on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createApp } from '../../src/api/app';
import type { WebhookPolicy } from '../../src/api/routes/webhooks';
import { createWorker } from '../../src/worker/worker';
import { quietTemporalRuntime } from '../helpers/runtime';
import { expectLedgerExact, newEnvironment, seedBody, startTestContext, type TestContext } from '../helpers/stack';
import { pollUntil } from '../helpers/poll';

/** A receiver on 127.0.0.1 that counts requests and answers `status`. */
function receiver(status: number) {
  let count = 0;
  const server: Server = createServer((req, res) => {
    count++;
    req.resume();
    req.on('end', () => res.writeHead(status).end());
  });
  return {
    get count() {
      return count;
    },
    listen: () => new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port))),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const until = <T>(what: string, fn: () => Promise<T | undefined> | T | undefined) => pollUntil(what, fn, 20_000);

let ctx: TestContext;
beforeAll(async () => {
  quietTemporalRuntime();
  ctx = await startTestContext(); // the app's webhook policy: the defaults (public addresses only, 20 endpoints)
});
afterAll(async () => {
  await expectLedgerExact(ctx.pool);
  await ctx.close();
});

function appWith(webhooks: WebhookPolicy) {
  return createApp({ pool: ctx.pool, temporal: { client: ctx.client, taskQueue: ctx.stack.taskQueue, searchAttributes: true, syncTimeoutMs: 30_000 }, webhooks });
}

function register(env: { envId: string; secret: string }, url: string, app = ctx.app) {
  return request(app)
    .post(`/environments/${env.envId}/webhooks/`)
    .set({ 'X-Wallet-Signature': env.secret, 'Content-Type': 'application/json' })
    .send(seedBody({ url }));
}

async function endpointCount(envId: string): Promise<number> {
  const { rows } = await ctx.pool.query<{ n: number }>('select count(*)::int as n from webhook_endpoints where env_id = $1', [envId]);
  return rows[0]!.n;
}

test('with the switch off, registering an internal address is 422 invalid_request naming url, and nothing is stored', async () => {
  const env = await newEnvironment(ctx.pool, 'webhook-policy');
  for (const url of [
    'http://127.0.0.1:3000/hooks',
    'http://localhost:3000/hooks',
    'http://2130706433:8080/', // 127.0.0.1 as one number
    'http://127.0.0.1:5432/', // Postgres
    'http://[::1]:7233/',
    'http://[::ffff:127.0.0.1]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.1/',
    'http://192.168.1.1/',
    'https://merchant.example/a\u0000b', // NUL: 422, not 500
    'https://merchant.example/\u0001',
    'https://user:pass@merchant.example/',
    'gopher://merchant.example/',
  ]) {
    const res = await register(env, url);
    expect([url, res.status, res.body.error?.code]).toEqual([url, 422, 'invalid_request']);
    expect(res.body.error.message).toMatch(/^url: /);
    expect(res.body.error.details.issues[0]).toMatchObject({ location: 'body', path: 'url' });
  }
  expect(await endpointCount(env.envId)).toBe(0);
  // A public URL is accepted (never delivered to: this environment has no events).
  expect((await register(env, 'https://merchant.example/paynocchio/hooks')).status).toBe(201);
  // With the switch on (tests' receivers), the same loopback URL is accepted.
  expect((await register(env, 'http://127.0.0.1:3000/hooks', appWith({ allowPrivateNetworks: true }))).status).toBe(201);
});

test('with the switch off, a delivery to an endpoint stored with a loopback URL is refused without connecting, recorded, and given up', async () => {
  const target = receiver(204);
  const port = await target.listen();
  // A worker of this test's own, on its own task queue, with the default policy (the suite's worker allows private networks).
  const taskQueue = `webhook-policy-${process.pid}`;
  const connection = await NativeConnection.connect({ address: ctx.stack.temporalAddress });
  let worker: Worker | undefined;
  try {
    worker = await createWorker({
      connection, pool: ctx.pool, stripe: ctx.stripe, publicUrl: 'http://127.0.0.1:3000', namespace: 'default', taskQueue,
      workflowBundlePath: ctx.stack.workflowBundlePath,
    });
    const { envId } = await newEnvironment(ctx.pool, 'webhook-ssrf');
    const urls = [`http://127.0.0.1:${port}/hooks`, `http://2130706433:${port}/`, `http://localhost:${port}/`];
    // Stored by SQL (as a row written before this policy would be), with an event and a
    // delivery each, marked dispatched so the suite's dispatcher leaves them to this test.
    const { rows: deliveries } = await ctx.pool.query<{ id: string }>(
      `with ev as (
         insert into webhook_events (env_id, type, payload) values ($1, 'wallet.created', '{"type":"wallet.created"}') returning id
       ), ep as (
         insert into webhook_endpoints (env_id, url, event_types, secret)
         select $1, u, array['wallet.created'], 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' from unnest($2::text[]) u
         returning id, url
       )
       insert into webhook_deliveries (event_id, endpoint_id, dispatched_at)
       select ev.id, ep.id, now() from ev, ep
       returning id::text`,
      [envId, urls],
    );
    expect(deliveries).toHaveLength(3);
    const results = await worker.runUntil(
      Promise.all(
        deliveries.map((d) =>
          ctx.client.workflow.execute('webhookDelivery', {
            taskQueue,
            workflowId: `webhook-policy-${d.id}`,
            // A retry schedule that would try for a minute: a refused address must not use it.
            args: [{ deliveryId: d.id, initialIntervalMs: 200, backoffCoefficient: 2, maxIntervalMs: 1000, maxElapsedMs: 60_000 }],
          }),
        ),
      ),
    );
    expect(results).toEqual(deliveries.map(() => ({ delivered: false, attempts: 1 })));
    const { rows } = await ctx.pool.query(
      `select e.url, d.status, d.attempts, a.status_code, a.error
       from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id join webhook_attempts a on a.delivery_id = d.id
       where d.id = any($1::bigint[])`,
      [deliveries.map((d) => d.id)],
    );
    const byUrl = Object.fromEntries(rows.map(({ url, ...rest }) => [url, rest]));
    const refusedAs = (why: RegExp) => ({ status: 'failed', attempts: 1, status_code: null, error: expect.stringMatching(why) });
    expect(byUrl).toEqual({
      [urls[0]!]: refusedAs(/127\.0\.0\.1 is a loopback address.*WEBHOOK_ALLOW_PRIVATE_NETWORKS/),
      [urls[1]!]: refusedAs(/127\.0\.0\.1 is a loopback address/),
      [urls[2]!]: refusedAs(/must not point to this machine \(localhost\)/),
    });
    expect(target.count).toBe(0);
  } finally {
    await connection.close().catch(() => undefined);
    await target.close();
  }
});

test('disabling an endpoint stops the deliveries already queued for it: the running one ends canceled', async () => {
  const failing = receiver(500); // never accepts: the delivery keeps retrying
  const port = await failing.listen();
  try {
    const env = await newEnvironment(ctx.pool, 'webhook-disable');
    const app = appWith({ allowPrivateNetworks: true });
    const reg = await register(env, `http://127.0.0.1:${port}/hooks`, app);
    expect(reg.status).toBe(201);
    const wallet = await request(app)
      .post('/wallet/')
      .set({ 'X-Wallet-Signature': env.secret, 'Content-Type': 'application/json' })
      .send(seedBody({ env_id: env.envId, user_id: 'dora' }));
    expect(wallet.status).toBe(200); // wallet.created: one delivery to the endpoint
    const delivery = await until('the delivery', async () => {
      const { rows } = await ctx.pool.query<{ id: string }>(
        `select d.id::text from webhook_deliveries d where d.endpoint_id = $1`,
        [reg.body.id],
      );
      return rows[0]?.id;
    });
    await until('two refused attempts', () => failing.count >= 2);

    const disabled = await request(app)
      .delete(`/environments/${env.envId}/webhooks/${reg.body.id}/`)
      .set('X-Wallet-Signature', env.secret);
    expect(disabled.status).toBe(200);
    expect(disabled.body.status).toBe('disabled');
    // The workflow (retrying for up to a minute in tests) ends at its next attempt, without sending.
    const handle = ctx.client.workflow.getHandle(`webhook-delivery-${delivery}`);
    const result = await Promise.race([handle.result(), new Promise((r) => setTimeout(() => r('still running'), 10_000))]);
    expect(result).toEqual({ delivered: false, attempts: expect.any(Number) });
    const sent = failing.count;
    await new Promise((r) => setTimeout(r, 1500));
    expect(failing.count).toBe(sent);
    const { rows } = await ctx.pool.query('select status from webhook_deliveries where id = $1', [delivery]);
    expect(rows[0].status).toBe('canceled');
  } finally {
    await failing.close();
  }
});

test('an environment has at most WEBHOOK_MAX_ENDPOINTS enabled endpoints (default 20): one more is 409 conflict, also when racing', async () => {
  const env = await newEnvironment(ctx.pool, 'webhook-cap');
  for (let i = 0; i < 20; i++) expect((await register(env, `https://merchant.example/hooks/${i}`)).status).toBe(201);
  const over = await register(env, 'https://merchant.example/hooks/20');
  expect(over.status).toBe(409);
  expect(over.body.error).toMatchObject({ code: 'conflict', details: { limit: 20 } });
  expect(await endpointCount(env.envId)).toBe(20);
  // A disabled endpoint frees its place.
  const first = (await request(ctx.app).get(`/environments/${env.envId}/webhooks/`).set('X-Wallet-Signature', env.secret)).body.webhooks[0];
  expect((await request(ctx.app).delete(`/environments/${env.envId}/webhooks/${first.id}/`).set('X-Wallet-Signature', env.secret)).status).toBe(200);
  expect((await register(env, 'https://merchant.example/hooks/again')).status).toBe(201);

  // Ten registrations at once under a limit of 3: exactly 3 pass.
  const small = appWith({ maxEndpoints: 3 });
  const racing = await newEnvironment(ctx.pool, 'webhook-cap-race');
  const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => register(racing, `https://merchant.example/r/${i}`, small)));
  expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 201, 409, 409, 409, 409, 409, 409, 409]);
  expect(await endpointCount(racing.envId)).toBe(3);
});
