/**
 * GET /events/ (issue 14, section 5): the events the webhooks carry, same ids and same
 * bytes, in feed order, keyset-paginated; an event that commits after a later-numbered
 * one is still returned to a reader already past that number; retention purges only
 * events whose deliveries are over.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { withTransaction } from '../../src/db/pool';
import { FEED_SEQUENCE_BATCH, purgeEvents } from '../../src/db/queries/events-feed';
import { recordEvent } from '../../src/db/queries/outbox';
import { loadConfig } from '../../src/config';
import { merchant } from '../helpers/api';
import { expectLedgerExact, newEnvironment, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
let m: ReturnType<typeof merchant>;
const received = new Map<string, string>();
const server: Server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received.set(String(req.headers['webhook-id']), Buffer.concat(chunks).toString('utf8'));
    res.writeHead(204).end();
  });
});
let url: string;

beforeAll(async () => {
  ctx = await startTestContext({ webhooks: { allowPrivateNetworks: true } });
  m = merchant(ctx, await newEnvironment(ctx.pool, 'events-feed'));
  url = await new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`)));
});
afterEach(async () => expectLedgerExact(ctx.pool));
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await ctx.close();
});

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await fn();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The whole feed from `after`, page by page. */
async function readAll(env: { envId: string; get: typeof m.get }, query: Record<string, unknown> = {}, after?: string) {
  const events: { event_id: string; type: string }[] = [];
  const texts: string[] = [];
  let cursor = after;
  for (;;) {
    const res = await env.get('/events/', { env_id: env.envId, ...query, ...(cursor ? { after: cursor } : {}) });
    expect(res.status).toBe(200);
    events.push(...res.body.events);
    texts.push(res.text);
    if (res.body.next_after) cursor = res.body.next_after;
    if (!res.body.has_more) return { events, texts, last: cursor };
  }
}

test('the feed carries the webhooks\' events: same ids, same payload bytes, in order', async () => {
  const reg = await m.post(`/environments/${m.envId}/webhooks/`, { url });
  expect(reg.status).toBe(201);
  const w = await m.wallet('alice');
  await m.topup('alice', w, '25.10');
  await m.pay('alice', w, '5.05');
  const { rows } = await ctx.pool.query<{ id: string }>('select id::text from webhook_events where env_id = $1 order by id', [m.envId]);
  expect(rows).toHaveLength(3);
  const bodies = await until('the three deliveries', () => (rows.every((r) => received.has(`evt_${r.id}`)) ? rows.map((r) => received.get(`evt_${r.id}`)!) : undefined));

  const res = await m.get('/events/', { env_id: m.envId });
  expect(res.status).toBe(200);
  expect(res.body.events.map((e: { event_id: string; type: string }) => [e.event_id, e.type])).toEqual([
    [rows[0]!.id, 'wallet.created'],
    [rows[1]!.id, 'topup.completed'],
    [rows[2]!.id, 'payment.completed'],
  ]);
  expect(res.body).toMatchObject({ next_after: rows[2]!.id, has_more: false });
  // Byte for byte what the endpoint received (exact decimals included).
  expect(res.text).toBe(`{"events":[${bodies.join(',')}],"next_after":"${rows[2]!.id}","has_more":false}`);
  expect(res.text).toContain('"amount":25.10');
  // Caught up: nothing after the last one.
  const after = await m.get('/events/', { env_id: m.envId, after: rows[2]!.id });
  expect(after.body).toEqual({ events: [], next_after: null, has_more: false });
});

test('keyset pages with limit, and a types filter', async () => {
  const env = merchant(ctx, await newEnvironment(ctx.pool, 'events-pages'));
  const ws: string[] = [];
  for (let i = 0; i < 5; i++) ws.push(await env.wallet(`u${i}`));
  await env.topup('u0', ws[0]!, 1);
  await env.topup('u1', ws[1]!, 2);
  const pages: string[][] = [];
  let after: string | undefined;
  for (;;) {
    const res = await env.get('/events/', { env_id: env.envId, limit: 2, ...(after ? { after } : {}) });
    expect(res.status).toBe(200);
    pages.push(res.body.events.map((e: { type: string }) => e.type));
    after = res.body.next_after ?? after;
    if (!res.body.has_more) break;
  }
  expect(pages).toEqual([
    ['wallet.created', 'wallet.created'],
    ['wallet.created', 'wallet.created'],
    ['wallet.created', 'topup.completed'],
    ['topup.completed'],
  ]);
  const topups = await readAll(env, { types: 'topup.completed,refund.completed' });
  expect(topups.events.map((e) => e.type)).toEqual(['topup.completed', 'topup.completed']);
  const all = await readAll(env);
  expect(all.events).toHaveLength(7);
  expect(new Set(all.events.map((e) => e.event_id)).size).toBe(7);
});

test('an event that commits after a later-numbered one is not skipped by a reader already past it', async () => {
  const env = merchant(ctx, await newEnvironment(ctx.pool, 'events-late'));
  const w = await env.wallet('late'); // wallet.created
  const first = await readAll(env);
  expect(first.events).toHaveLength(1);

  // A transaction draws an event id and stays open; another event (a larger id) commits meanwhile.
  const slow = await ctx.pool.connect();
  let lateId: string;
  try {
    await slow.query('begin');
    lateId = await recordEvent(slow, env.envId, 'wallet.status_changed', { wallet: { id: w }, note: 'late' });
    await env.topup('late', w, 3); // topup.completed, larger id, committed
    const mid = await readAll(env, {}, first.last);
    expect(mid.events.map((e) => e.type)).toEqual(['topup.completed']);
    expect(BigInt(mid.last!)).toBeGreaterThan(BigInt(lateId));
    await slow.query('commit');
    // The reader continues from where it stopped: the late event comes now, once.
    const rest = await readAll(env, {}, mid.last);
    expect(rest.events.map((e) => [e.event_id, e.type])).toEqual([[lateId, 'wallet.status_changed']]);
  } finally {
    slow.release();
  }
  const whole = await readAll(env);
  expect(whole.events.map((e) => e.type)).toEqual(['wallet.created', 'topup.completed', 'wallet.status_changed']);
});

test('refusals: unknown type or bad limit 422, another environment 403, unknown or foreign after 422, no secret 401', async () => {
  const other = merchant(ctx, await newEnvironment(ctx.pool, 'events-other'));
  await other.wallet('x');
  const foreign = (await other.get('/events/', { env_id: other.envId })).body.events[0].event_id as string;
  for (const query of [{ types: 'money.printed' }, { types: ',' }, { limit: 0 }, { limit: 501 }, { after: 'abc' }, { after: foreign }, { after: '1' }, { since: '1' }]) {
    const res = await m.get('/events/', { env_id: m.envId, ...query });
    expect([res.status, res.body.error?.code]).toEqual([422, 'invalid_request']);
  }
  expect((await m.get('/events/', { env_id: other.envId })).status).toBe(403);
  expect((await request(ctx.app).get('/events/').query({ env_id: m.envId })).status).toBe(401);
});

test('an unknown or foreign after is refused without sequencing the environment\'s whole backlog (one batch per request)', async () => {
  const big = merchant(ctx, await newEnvironment(ctx.pool, 'events-backlog'));
  const other = merchant(ctx, await newEnvironment(ctx.pool, 'events-backlog-other'));
  await other.wallet('x');
  const foreign = (await other.get('/events/', { env_id: other.envId })).body.events[0].event_id as string;
  const backlog = 2 * FEED_SEQUENCE_BATCH + 5;
  await ctx.pool.query(
    `insert into webhook_events (env_id, type, payload) select $1, 'wallet.created', '{"type":"wallet.created"}' from generate_series(1, $2::int)`,
    [big.envId, backlog],
  );
  const unsequenced = async () =>
    Number((await ctx.pool.query<{ n: string }>('select count(*)::text as n from webhook_events where env_id = $1 and feed_seq is null', [big.envId])).rows[0]!.n);
  for (const after of [foreign, '999999999999']) {
    const res = await big.get('/events/', { env_id: big.envId, after });
    expect([res.status, res.body.error?.code]).toEqual([422, 'invalid_request']);
  }
  // Each refused request sequenced at most one batch: the backlog is not all done.
  expect(await unsequenced()).toBe(backlog - 2 * FEED_SEQUENCE_BATCH);
  // A kept event deep in the backlog is still found (the feed owes that work anyway).
  const last = (await ctx.pool.query<{ id: string }>('select max(id)::text as id from webhook_events where env_id = $1', [big.envId])).rows[0]!.id;
  const res = await big.get('/events/', { env_id: big.envId, after: last });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ events: [], has_more: false });
  expect(await unsequenced()).toBe(0);
});

test('retention: events older than EVENTS_RETENTION_DAYS go with their deliveries once those are over; pending ones stay', async () => {
  expect(loadConfig({ DATABASE_URL: 'postgres://x/y' }).EVENTS_RETENTION_DAYS).toBe(30);
  expect(loadConfig({ DATABASE_URL: 'postgres://x/y', EVENTS_RETENTION_DAYS: '7' }).EVENTS_RETENTION_DAYS).toBe(7);
  expect(() => loadConfig({ DATABASE_URL: 'postgres://x/y', EVENTS_RETENTION_DAYS: '0' })).toThrow(/EVENTS_RETENTION_DAYS/);
  const env = await newEnvironment(ctx.pool, 'events-retention');
  const { rows: eps } = await ctx.pool.query<{ id: string }>(
    `insert into webhook_endpoints (env_id, url, secret, event_types) values ($1, 'https://example.com/h', 'whsec_x', $2) returning id::text`,
    [env.envId, ['wallet.created']],
  );
  // Events recorded directly (no endpoint is reached: the deliveries' states are set by hand).
  const ids: Record<string, string> = {};
  await withTransaction(ctx.pool, async (c) => {
    for (const name of ['delivered', 'failed', 'canceled', 'pending', 'none', 'recent']) ids[name] = await recordEvent(c, env.envId, 'wallet.created', { name });
    await c.query(
      `update webhook_deliveries set dispatched_at = now(), status = case e.payload::json->'data'->>'name' when 'none' then status when 'recent' then 'delivered' else e.payload::json->'data'->>'name' end
       from webhook_events e where e.id = webhook_deliveries.event_id and e.env_id = $1`,
      [env.envId],
    );
    await c.query(`delete from webhook_deliveries d using webhook_events e where e.id = d.event_id and e.env_id = $1 and e.payload::json->'data'->>'name' = 'none'`, [env.envId]);
    await c.query(`update webhook_events set created_at = now() - interval '31 days' where env_id = $1 and id <> $2`, [env.envId, ids.recent]);
  });
  const { rows: attempted } = await ctx.pool.query<{ id: string }>('select id::text from webhook_deliveries where event_id = $1', [ids.delivered]);
  await ctx.pool.query(`insert into webhook_attempts (delivery_id, attempt, status_code, duration_ms) values ($1, 1, 204, 5)`, [attempted[0]!.id]);

  expect(await purgeEvents(ctx.pool, 30)).toBeGreaterThanOrEqual(4);
  const { rows: left } = await ctx.pool.query<{ id: string }>('select id::text from webhook_events where env_id = $1 order by id', [env.envId]);
  expect(left.map((r) => r.id)).toEqual([ids.pending, ids.recent]);
  const { rows: deliveries } = await ctx.pool.query<{ status: string }>('select status from webhook_deliveries where endpoint_id = $1 order by id', [eps[0]!.id]);
  expect(deliveries.map((d) => d.status)).toEqual(['pending', 'delivered']);
  // A longer retention keeps the pending one's neighbours; the feed still serves what is kept.
  const feed = await request(ctx.app).get('/events/').set('X-Wallet-Signature', env.secret).query({ env_id: env.envId });
  expect(feed.body.events.map((e: { event_id: string }) => e.event_id)).toEqual([ids.pending, ids.recent]);
  // Leave no pending delivery behind for the suite's dispatcher.
  await ctx.pool.query(`update webhook_deliveries set status = 'canceled' where endpoint_id = $1`, [eps[0]!.id]);
});
