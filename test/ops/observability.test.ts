/**
 * Metrics, logs and the request id's trip API → workflow memo → activity, against the
 * real stack. A second worker runs in this process on its own task queue so the test
 * can read the activity's log lines.
 */
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { NativeConnection, Worker } from '@temporalio/worker';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { createWallet } from '../../src/db/queries/wallets';
import { REDACT_PATHS } from '../../src/observability/logger';
import { startMetricsServer } from '../../src/worker/metrics-server';
import { createWorker } from '../../src/worker/worker';
import { expectLedgerExact, newEnvironment, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
let worker: Worker;
let workerConnection: NativeConnection;
let running: Promise<void>;
const apiLines: Record<string, unknown>[] = [];
const workerLines: Record<string, unknown>[] = [];
const TASK_QUEUE = 'paynocchio-observability-test';

function capture(lines: Record<string, unknown>[]) {
  return pino(
    { level: 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    new Writable({
      write(chunk, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    }),
  );
}

beforeAll(async () => {
  ctx = await startTestContext();
  workerConnection = await NativeConnection.connect({ address: ctx.stack.temporalAddress });
  worker = await createWorker({
    connection: workerConnection,
    pool: ctx.pool,
    stripe: ctx.stripe,
    publicUrl: 'http://127.0.0.1:3000',
    namespace: 'default',
    taskQueue: TASK_QUEUE,
    workflowBundlePath: ctx.stack.workflowBundlePath,
    logger: capture(workerLines),
  });
  running = worker.run();
});

afterAll(async () => {
  worker.shutdown();
  await running;
  await workerConnection.close();
  await expectLedgerExact(ctx.pool);
  await ctx.close();
});

function appWithLogs() {
  return createApp({
    pool: ctx.pool,
    temporal: { client: ctx.client, taskQueue: TASK_QUEUE, searchAttributes: true, syncTimeoutMs: 30_000 },
    ops: { logger: capture(apiLines), temporalUiUrl: 'http://ui.test:8233', namespace: 'default' },
  });
}

test('a topup: request id echoed, in the log line with the workflow link, in the memo and in the activity log', async () => {
  const { envId, secret } = await newEnvironment(ctx.pool, 'observability');
  const { wallet } = await createWallet(ctx.pool, envId, 'obs-user', 'USD');
  const app = appWithLogs();
  const res = await request(app)
    .post('/wallet/topup')
    .set({ 'X-Wallet-Signature': secret, 'X-Request-Id': 'req-obs-1' })
    .send({ env_id: envId, user_id: 'obs-user', wallet_id: wallet.id, amount: '12.50' });
  expect(res.status).toBe(200);
  expect(res.headers['x-request-id']).toBe('req-obs-1');
  const workflowId = String(res.headers['workflow-id']);
  expect(workflowId).toMatch(new RegExp(`^topup-${envId}-`));

  const line = apiLines.find((l) => (l.req as { id?: string } | undefined)?.id === 'req-obs-1');
  expect(line).toMatchObject({
    msg: 'request completed',
    res: { status: 200 },
    workflow_id: workflowId,
    workflow_type: 'topup',
    workflow_url: `http://ui.test:8233/namespaces/default/workflows/${encodeURIComponent(workflowId)}`,
  });
  // The merchant secret never reaches a log line.
  expect(JSON.stringify(apiLines)).not.toContain(secret);

  const description = await ctx.client.workflow.getHandle(workflowId).describe();
  expect(description.memo).toMatchObject({ requestId: 'req-obs-1', envId, walletId: wallet.id, kind: 'topup' });

  const activityLine = workerLines.find((l) => l.workflow_id === workflowId && l.msg === 'activity completed');
  expect(activityLine).toMatchObject({ request_id: 'req-obs-1', activity: 'topupWallet', local: true });
});

test('a made-up or unsafe X-Request-Id is replaced by a uuid', async () => {
  const res = await request(appWithLogs()).get('/healthz').set('X-Request-Id', 'bad id with spaces');
  expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
});

test('API /metrics: request histogram by route pattern, workflow starts and outcomes, ledger postings', async () => {
  const res = await request(appWithLogs()).get('/metrics');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/text\/plain/);
  expect(res.text).toMatch(/paynocchio_http_request_duration_seconds_count\{method="POST",route="\/wallet\/topup",status="200"\} [1-9]/);
  expect(res.text).toMatch(/paynocchio_workflow_starts_total\{type="topup"\} [1-9]/);
  expect(res.text).toMatch(/paynocchio_workflow_outcomes_total\{type="topup",outcome="completed"\} [1-9]/);
  for (const name of ['paynocchio_ledger_postings_total', 'paynocchio_stripe_calls_total', 'paynocchio_webhook_deliveries_total']) {
    expect(res.text).toContain(`# TYPE ${name} counter`);
  }
});

test("worker /metrics: this process's counters and the Temporal runtime's own metrics in one scrape", async () => {
  // A topup through the stack's own worker process (ctx.app uses its task queue).
  const { envId, secret } = await newEnvironment(ctx.pool, 'observability-worker');
  const { wallet } = await createWallet(ctx.pool, envId, 'obs-user', 'USD');
  const topup = await request(ctx.app)
    .post('/wallet/topup')
    .set({ 'X-Wallet-Signature': secret })
    .send({ env_id: envId, user_id: 'obs-user', wallet_id: wallet.id, amount: '1' });
  expect(topup.status).toBe(200);
  const res = await fetch(ctx.stack.workerMetricsUrl);
  expect(res.status).toBe(200);
  const text = await res.text();
  expect(text).toMatch(/paynocchio_ledger_postings_total\{type="topup"\} [1-9]/);
  expect(text).toMatch(/paynocchio_activity_duration_seconds_count\{activity="topupWallet",outcome="completed"\} [1-9]/);
  // The SDK's Prometheus exporter (Runtime.install telemetryOptions), merged in.
  expect(text).toMatch(/^temporal_\w+/m);
  const health = await fetch(ctx.stack.workerMetricsUrl.replace('/metrics', '/healthz'));
  expect(health.status).toBe(200);
});

test('METRICS_TOKEN guards /metrics on the API and the worker; health stays open', async () => {
  const token = 'metrics-token-0123456789';
  const app = createApp({
    pool: ctx.pool,
    temporal: { client: ctx.client, taskQueue: TASK_QUEUE, searchAttributes: true, syncTimeoutMs: 30_000 },
    ops: { logger: capture(apiLines), metricsToken: token },
  });
  const none = await request(app).get('/metrics');
  expect(none.status).toBe(401);
  expect(none.body.error.code).toBe('unauthorized');
  expect(none.headers['www-authenticate']).toBe('Bearer');
  expect((await request(app).get('/metrics').set('Authorization', 'Bearer wrong-token-0123456789')).status).toBe(401);
  const ok = await request(app).get('/metrics').set('Authorization', `Bearer ${token}`);
  expect(ok.status).toBe(200);
  expect(ok.text).toContain('paynocchio_http_request_duration_seconds');
  expect((await request(app).get('/healthz')).status).toBe(200);
  // The token never reaches a log line.
  expect(JSON.stringify(apiLines)).not.toContain(token);

  const server = await startMetricsServer({ host: '127.0.0.1', port: 0, runtimeAddress: null, isHealthy: () => true, token });
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const scraped = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('paynocchio_');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  } finally {
    server.close();
  }
});
