/**
 * Merchant webhooks end to end: register an endpoint on a receiver (127.0.0.1) that
 * refuses the first attempts; the event is written with the movement, delivered by
 * the delivery workflow with retries, verified with the standardwebhooks library,
 * accepted exactly once, and every attempt is recorded.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { merchant } from '../helpers/api';
import { recordHistory } from '../helpers/record-history';
import { expectLedgerExact, newEnvironment, startTestContext, type TestContext } from '../helpers/stack';
import { pollUntil } from '../helpers/poll';

interface Received {
  id: string;
  type: string;
  body: string;
  verified: boolean;
}

/** Answers 500 to the first `failures` attempts of each message, then 200. */
function startReceiver(secret: () => string, failures: number) {
  const attempts = new Map<string, number>();
  const accepted: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id']);
      const n = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, n);
      if (n <= failures) {
        res.writeHead(500).end('not yet');
        return;
      }
      let verified = false;
      try {
        new Webhook(secret()).verify(body, req.headers as Record<string, string>);
        verified = true;
      } catch {
        verified = false;
      }
      accepted.push({ id, type: JSON.parse(body).type, body, verified });
      res.writeHead(verified ? 204 : 400).end();
    });
  });
  return {
    attempts,
    accepted,
    listen: () => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const until = pollUntil;

let ctx: TestContext;
let m: ReturnType<typeof merchant>;
let secret = '';
const receiver = startReceiver(() => secret, 2);
let url: string;
beforeAll(async () => {
  // The receivers listen on 127.0.0.1: this app (and the suite's worker) allow private networks.
  ctx = await startTestContext({ webhooks: { allowPrivateNetworks: true } });
  m = merchant(ctx, await newEnvironment(ctx.pool));
  url = await receiver.listen();
});
afterEach(async () => expectLedgerExact(ctx.pool));
afterAll(async () => {
  await receiver.close();
  await ctx.close();
});

test('registration returns the signing secret once; listing never shows it', async () => {
  const res = await m.post(`/environments/${m.envId}/webhooks/`, { url, event_types: ['wallet.created', 'topup.completed', 'transfer.completed'] });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ url, event_types: ['wallet.created', 'topup.completed', 'transfer.completed'], status: 'enabled' });
  expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/);
  secret = res.body.secret;
  const list = await m.get(`/environments/${m.envId}/webhooks/`);
  expect(list.status).toBe(200);
  expect(list.body.webhooks).toHaveLength(1);
  expect(list.text).not.toContain('whsec_');
});

test('registration refusals: bad URL or event type 422, another environment 403, no secret 401', async () => {
  expect((await m.post(`/environments/${m.envId}/webhooks/`, { url: 'ftp://x' })).status).toBe(422);
  expect((await m.post(`/environments/${m.envId}/webhooks/`, { url: 'not a url' })).status).toBe(422);
  expect((await m.post(`/environments/${m.envId}/webhooks/`, { url, event_types: ['money.printed'] })).status).toBe(422);
  const other = await newEnvironment(ctx.pool, 'other');
  expect((await m.post(`/environments/${other.envId}/webhooks/`, { url })).status).toBe(403);
  const request = (await import('supertest')).default;
  expect((await request(ctx.app).post(`/environments/${m.envId}/webhooks/`).send({ url })).status).toBe(401);
});

test('a topup event arrives exactly once, signed, after two refused attempts, and every attempt is recorded', async () => {
  const w = await m.wallet('alice'); // wallet.created
  const topup = await m.topup('alice', w, '25.10');
  const event = await until('the topup event', async () => {
    const { rows } = await ctx.pool.query(`select id::text from webhook_events where env_id = $1 and type = 'topup.completed'`, [m.envId]);
    return rows[0]?.id as string | undefined;
  });
  const got = await until('the delivery', () => receiver.accepted.find((r) => r.id === `evt_${event}`));
  expect(got.verified).toBe(true);
  expect(receiver.attempts.get(`evt_${event}`)).toBe(3);
  const payload = JSON.parse(got.body);
  expect(payload).toMatchObject({ type: 'topup.completed', event_id: event, data: { transaction_id: topup.body.transaction_id, amount: 25.1, wallet: { id: w, balance: 25.1 } } });
  expect(got.body).toContain('"amount":25.10');

  const delivery = await until('the delivery row', async () => {
    const { rows } = await ctx.pool.query(`select status, attempts, last_status_code from webhook_deliveries where event_id = $1`, [event]);
    return rows[0]?.status === 'delivered' ? rows[0] : undefined;
  });
  expect(delivery).toEqual({ status: 'delivered', attempts: 3, last_status_code: 204 });
  const { rows: deliveryIds } = await ctx.pool.query(`select id::text from webhook_deliveries where event_id = $1`, [event]);
  const deliveryWorkflow = ctx.client.workflow.getHandle(`webhook-delivery-${deliveryIds[0].id}`);
  expect(await deliveryWorkflow.result()).toEqual({ delivered: true, attempts: 3 });
  recordHistory('webhook-delivery-retried', deliveryWorkflow.workflowId);
  const { rows: attempts } = await ctx.pool.query(
    `select a.attempt, a.status_code from webhook_attempts a join webhook_deliveries d on d.id = a.delivery_id where d.event_id = $1 order by a.attempt`,
    [event],
  );
  expect(attempts).toEqual([
    { attempt: 1, status_code: 500 },
    { attempt: 2, status_code: 500 },
    { attempt: 3, status_code: 204 },
  ]);

  // wallet.created came too; payment.completed was not subscribed: no delivery.
  await until('wallet.created', () => receiver.accepted.find((r) => r.type === 'wallet.created'));
  await m.pay('alice', w, 1);
  const { rows: paid } = await ctx.pool.query(
    `select count(d.id)::int as n from webhook_events e left join webhook_deliveries d on d.event_id = e.id where e.env_id = $1 and e.type = 'payment.completed'`,
    [m.envId],
  );
  expect(paid[0].n).toBe(0);
  // Exactly once: no message accepted twice.
  const ids = receiver.accepted.map((r) => r.id);
  expect(new Set(ids).size).toBe(ids.length);
});

test('a refused movement writes no event (the outbox commits with the movement)', async () => {
  const w = await m.wallet('bob');
  const empty = await m.wallet('bea');
  const before = await ctx.pool.query(`select count(*)::int as n from webhook_events where env_id = $1`, [m.envId]);
  // Refused inside the activity's SQL transaction (insufficient funds): it rolls back, event and all.
  const res = await m.post('/wallet/transfer/', { env_id: Number(m.envId), user_id: 'bea', wallet_id: Number(empty), to_wallet_id: Number(w), amount: 5 });
  expect(res.status).toBe(422);
  expect(res.body.error.code).toBe('insufficient_funds');
  const payment = await m.post('/wallet/topup/', { env_id: Number(m.envId), user_id: 'bob', wallet_id: Number(w), amount: 0 });
  expect(payment.status).toBe(422);
  const after = await ctx.pool.query(`select count(*)::int as n from webhook_events where env_id = $1`, [m.envId]);
  expect(after.rows[0].n).toBe(before.rows[0].n);
});

test('a transfer event is signed with the endpoint secret; a tampered body fails verification', async () => {
  const a = await m.wallet('carol');
  const b = await m.wallet('dan');
  await m.topup('carol', a, 10);
  await m.post('/wallet/transfer/', { env_id: Number(m.envId), user_id: 'carol', wallet_id: Number(a), to_wallet_id: Number(b), amount: 4 });
  const got = await until('transfer.completed', () => receiver.accepted.find((r) => r.type === 'transfer.completed'));
  expect(got.verified).toBe(true);
  expect(JSON.parse(got.body).data).toMatchObject({ from_wallet_id: a, to_wallet_id: b, amount: 4 });
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = new Webhook(secret).sign(got.id, new Date(Number(ts) * 1000), got.body);
  expect(() => new Webhook(secret).verify(got.body.replace('4.00', '400.00'), { 'webhook-id': got.id, 'webhook-timestamp': ts, 'webhook-signature': sig })).toThrow();
});

test('payment, failed payment, refund and status change reach an endpoint subscribed to them, and only them', async () => {
  let secondSecret = '';
  const second = startReceiver(() => secondSecret, 0);
  const secondUrl = await second.listen();
  try {
    const types = ['payment.completed', 'payment.failed', 'refund.completed', 'wallet.status_changed'];
    const reg = await m.post(`/environments/${m.envId}/webhooks/`, { url: secondUrl, event_types: types });
    expect(reg.status).toBe(201);
    secondSecret = reg.body.secret;

    const w = await m.wallet('erin');
    await m.topup('erin', w, 30);
    const paid = await m.pay('erin', w, 12.5, 'book');
    const orderId = paid.body.order.id as string;
    const refused = await m.post('/wallet/payment/', { env_id: Number(m.envId), user_id: 'erin', wallet_id: Number(w), amount: 500, product_id: 'car' });
    expect(refused.status).toBe(422);
    const refund = await m.post('/wallet/refund/', { env_id: Number(m.envId), order_id: Number(orderId), amount: 2.5 });
    expect(refund.status).toBe(200);
    await m.setStatus('erin', w, 'suspended');

    const byType = async (type: string) => {
      const got = await until(type, () => second.accepted.find((r) => r.type === type));
      expect({ type, verified: got.verified }).toEqual({ type, verified: true });
      return JSON.parse(got.body).data;
    };
    expect(await byType('payment.completed')).toMatchObject({ order: { id: orderId, product_id: 'book', amount: 12.5, status: 'completed' }, wallet: { id: w, balance: 17.5 } });
    expect(await byType('payment.failed')).toMatchObject({ order: { product_id: 'car', amount: 500, status: 'failed' } });
    expect(await byType('refund.completed')).toMatchObject({ order_id: orderId, amount: 2.5, wallet: { id: w, balance: 20 } });
    expect(await byType('wallet.status_changed')).toMatchObject({ previous_status: 'active', wallet: { id: w, status: 'suspended' } });
    // The endpoint got only what it subscribed to (no wallet.created, no topup.completed) ...
    expect(second.accepted.map((r) => r.type).sort()).toEqual([...types].sort());
    // ... and the first endpoint, subscribed to other types, got none of these.
    expect(receiver.accepted.filter((r) => types.includes(r.type))).toEqual([]);
  } finally {
    await second.close();
  }
});
