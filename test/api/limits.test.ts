/**
 * Issue 14 §3 spend limits and §4 balance alerts, through the API against the real stack:
 * limits refuse payments/transfers over them with 422 limit_exceeded (nothing moved),
 * never limit incoming money, hold under 50 concurrent payments; monitors are
 * edge-triggered and fire once under concurrent postings.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import supertest from 'supertest';
import { merchant } from '../helpers/api';
import { expectLedgerExact, newEnvironment, seedBody, startTestContext, type TestContext } from '../helpers/stack';
import { pythonWithRequests } from '../helpers/python';
import { pollUntil } from '../helpers/poll';

let ctx: TestContext;
const envSecrets = new Map<string, string>();
beforeAll(async () => {
  ctx = await startTestContext();
});
afterAll(async () => ctx.close());
afterEach(async () => expectLedgerExact(ctx.pool));

async function setup(name: string) {
  const env = await newEnvironment(ctx.pool, name);
  envSecrets.set(env.envId, env.secret);
  const m = merchant(ctx, env);
  const a = await m.wallet('alice');
  const b = await m.wallet('bob');
  return { m, a, b };
}

const setLimits = (m: ReturnType<typeof merchant>, walletId: string, body: Record<string, unknown>, user = 'alice') =>
  m.patch(`/wallet/${walletId}/limits/`, { env_id: m.envId, user_id: user, ...body });

const payment = (m: ReturnType<typeof merchant>, walletId: string, amount: number | string) =>
  m.post('/wallet/payment/', { env_id: Number(m.envId), user_id: 'alice', wallet_id: Number(walletId), amount, product_id: 'p1' });

async function crossings(envId: string) {
  const { rows } = await ctx.pool.query<{ payload: string }>(
    `select payload from webhook_events where env_id = $1 and type = 'wallet.balance_threshold_crossed' order by id`,
    [envId],
  );
  return rows.map((r) => JSON.parse(r.payload));
}

describe('spend limits', () => {
  test('a daily amount refuses the payment over it with 422 limit_exceeded, moves nothing, and the wallet shows what is left', async () => {
    const { m, a } = await setup('limits-amount');
    await m.topup('alice', a, '100.00');
    const set = await setLimits(m, a, { daily_amount: 30 });
    expect(set.status).toBe(200);
    expect(set.body.limits.daily_amount).toMatchObject({ limit: 30, used: 0, remaining: 30, source: 'wallet' });
    expect(set.body.limits.monthly_amount).toBeNull();
    await m.pay('alice', a, '20.00');
    const over = await payment(m, a, '10.01');
    expect(over.status).toBe(422);
    expect(over.body.error.code).toBe('limit_exceeded');
    expect(over.body.error.details).toMatchObject({
      wallet_id: a,
      limit: 'daily_amount',
      limit_minor: '3000',
      used_minor: '2000',
      remaining_minor: '1000',
      required_minor: '1001',
      timezone: 'UTC',
    });
    const tomorrow = new Date();
    tomorrow.setUTCHours(24, 0, 0, 0);
    expect(over.body.error.details.resets_at).toBe(tomorrow.toISOString());
    expect(await m.balance(a)).toBe('8000');
    // Exactly what is left still goes through.
    await m.pay('alice', a, '10.00');
    const list = await m.get('/wallet/', { env_id: m.envId, user_id: 'alice' });
    expect(list.body.wallets[0].limits.daily_amount).toMatchObject({ limit: 30, used: 30, remaining: 0 });
    expect(list.text).toContain('"used":30.00');
  });

  test('transfers are limited for the sender; incoming money and topups never are', async () => {
    const { m, a, b } = await setup('limits-transfer');
    await m.topup('alice', a, '100.00');
    await m.topup('bob', b, '100.00');
    expect((await setLimits(m, a, { daily_count: 1 })).status).toBe(200);
    const t = (from: string, to: string, user: string) =>
      m.post('/wallet/transfer/', { env_id: Number(m.envId), user_id: user, wallet_id: Number(from), to_wallet_id: Number(to), amount: 5 });
    expect((await t(a, b, 'alice')).status).toBe(200);
    const refused = await t(a, b, 'alice');
    expect(refused.status).toBe(422);
    expect(refused.body.error.details).toMatchObject({ limit: 'daily_count', limit_count: '1', used_count: '1' });
    // Money coming in to the limited wallet: never limited.
    expect((await t(b, a, 'bob')).status).toBe(200);
    expect((await t(b, a, 'bob')).status).toBe(200);
    await m.topup('alice', a, '1.00');
    expect(await m.balance(a)).toBe('10600');
  });

  test('environment defaults apply to wallets without their own value; null removes a wallet limit', async () => {
    const { m, a } = await setup('limits-env');
    await m.topup('alice', a, '100.00');
    const put = await request('put', m, `/environments/${m.envId}/limits/`, { currency: 'USD', monthly_amount: '15.00' });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ currency: 'USD', monthly_amount: 15, daily_amount: null, daily_count: null });
    await m.pay('alice', a, '15.00');
    const refused = await payment(m, a, '0.01');
    expect(refused.status).toBe(422);
    expect(refused.body.error.details).toMatchObject({ limit: 'monthly_amount', limit_source: 'environment' });
    // The listing shows an environment default on a wallet without a limit of its own.
    const list = await m.get('/wallet/', { env_id: m.envId, user_id: 'alice' });
    expect(list.body.wallets[0].limits.monthly_amount).toMatchObject({ limit: 15, used: 15, remaining: 0, source: 'environment' });
    // A wallet's own value overrides the default; null removes it again.
    expect((await setLimits(m, a, { monthly_amount: 100 })).body.limits.monthly_amount).toMatchObject({ limit: 100, used: 15, source: 'wallet' });
    expect((await payment(m, a, '1.00')).status).toBe(200);
    expect((await setLimits(m, a, { monthly_amount: null })).body.limits.monthly_amount).toMatchObject({ limit: 15, source: 'environment' });
    expect((await payment(m, a, '1.00')).status).toBe(422);
  });

  test('50 concurrent payments against a daily count of 10: exactly 10 go through', async () => {
    const { m, a } = await setup('limits-race');
    await m.topup('alice', a, '100.00');
    expect((await setLimits(m, a, { daily_count: 10 })).status).toBe(200);
    const results = await Promise.all(Array.from({ length: 50 }, () => payment(m, a, '1.00')));
    const codes = results.map((r) => (r.status === 200 ? 'ok' : r.body.error?.code ?? String(r.status)));
    expect(codes.filter((c) => c === 'ok')).toHaveLength(10);
    // A payment may outlast the API's bounded wait on a loaded machine (503, still
    // running): it is refused all the same, as the balance and the orders show.
    expect(codes.filter((c) => c !== 'ok' && c !== 'limit_exceeded' && c !== 'unavailable')).toEqual([]);
    expect(codes.filter((c) => c === 'limit_exceeded').length).toBeGreaterThan(0);
    await pollUntil('the 40 refused payments recorded failed', async () =>
      (await ctx.pool.query(`select count(*)::int as n from orders where wallet_id = $1 and status = 'failed'`, [a])).rows[0].n === 40 ? true : undefined,
    );
    expect(await m.balance(a)).toBe('9000');
  });

  test('bad limit bodies are 422 and change nothing; a wallet of another user is 404', async () => {
    const { m, a } = await setup('limits-bad');
    for (const body of [{ daily_amount: -1 }, { daily_count: 1.5 }, { daily_amount: '1e3' }, { weekly: 1 }]) {
      const res = await setLimits(m, a, body);
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('invalid_request');
    }
    expect((await setLimits(m, a, { daily_count: 1 }, 'mallory')).status).toBe(404);
    const list = await m.get('/wallet/', { env_id: m.envId, user_id: 'alice' });
    expect(list.body.wallets[0].limits).toBeUndefined();
  });
});

test('withdrawals count (their hold); a held monitor fires when the hold enters it', async () => {
  const { m, a } = await setup('limits-withdraw');
  await m.topup('alice', a, '100.00');
  expect((await setLimits(m, a, { daily_amount: 50 })).status).toBe(200);
  expect((await m.post('/wallet/monitors/', { env_id: m.envId, wallet_id: a, field: 'held', op: 'gte', value: 25 })).status).toBe(201);
  const withdraw = (amount: string) => m.post('/wallet/withdraw/', { env_id: m.envId, user_id: 'alice', wallet_id: a, amount });
  expect((await withdraw('30.00')).status).toBe(200);
  const refused = await withdraw('20.01');
  expect(refused.status).toBe(422);
  expect(refused.body.error).toMatchObject({ code: 'limit_exceeded', details: { limit: 'daily_amount', used_minor: '3000' } });
  const { rows } = await ctx.pool.query<{ balance: string; held: string }>('select balance::text, held::text from wallets where id = $1', [a]);
  expect(rows[0]).toEqual({ balance: '7000', held: '3000' });
  const events = await crossings(m.envId);
  expect(events).toHaveLength(1);
  expect(events[0].data).toMatchObject({ monitor: { field: 'held', op: 'gte' }, previous_value: 0, value: 30, transaction_type: 'hold' });
}, 60_000);

describe('balance monitors', () => {
  test('fires once when the balance crosses into the condition, not while it holds, again after it left', async () => {
    const { m, a } = await setup('monitor-edge');
    await m.topup('alice', a, '100.00');
    const made = await m.post('/wallet/monitors/', { env_id: m.envId, wallet_id: a, field: 'balance', op: 'lt', value: 50 });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ wallet_id: a, field: 'balance', op: 'lt', value: 50, status: 'enabled' });
    await m.pay('alice', a, '40.00'); // 60: outside
    expect(await crossings(m.envId)).toHaveLength(0);
    await m.pay('alice', a, '15.00'); // 45: crossed
    await m.pay('alice', a, '5.00'); // 40: still inside
    const first = await crossings(m.envId);
    expect(first).toHaveLength(1);
    expect(first[0].data).toMatchObject({ monitor: { id: made.body.id }, previous_value: 60, value: 45, transaction_type: 'payment', wallet: { id: a } });
    await m.topup('alice', a, '20.00'); // 60: left
    await m.pay('alice', a, '20.00'); // 40: entered anew
    expect(await crossings(m.envId)).toHaveLength(2);
    // list and delete
    const list = await m.get('/wallet/monitors/', { env_id: m.envId, wallet_id: a });
    expect(list.body.monitors.map((x: { id: string }) => x.id)).toEqual([made.body.id]);
    const del = await request('delete', m, `/wallet/monitors/${made.body.id}/?env_id=${m.envId}`);
    expect(del.status).toBe(200);
    expect(del.body.status).toBe('disabled');
    await m.topup('alice', a, '20.00');
    await m.pay('alice', a, '20.00');
    expect(await crossings(m.envId)).toHaveLength(2);
  });

  test('a monitor crossed by concurrent postings fires once', async () => {
    const { m, a } = await setup('monitor-race');
    await m.topup('alice', a, '100.00');
    expect((await m.post('/wallet/monitors/', { env_id: m.envId, wallet_id: a, field: 'balance', op: 'lte', value: '80.00' })).status).toBe(201);
    const results = await Promise.all(Array.from({ length: 20 }, () => payment(m, a, '2.00')));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(await m.balance(a)).toBe('6000');
    const events = await crossings(m.envId);
    expect(events).toHaveLength(1);
    expect(events[0].data.value).toBe(80);
  });

  test("another environment's wallet is 404; bad fields are 422", async () => {
    const { m } = await setup('monitor-bad');
    const other = merchant(ctx, await newEnvironment(ctx.pool, 'monitor-other'));
    const foreign = await other.wallet('carol');
    expect((await m.post('/wallet/monitors/', { env_id: m.envId, wallet_id: foreign, field: 'balance', op: 'lt', value: 1 })).status).toBe(404);
    const a = await m.wallet('alice');
    for (const bad of [{ field: 'debt' }, { op: 'eq' }, { value: -1 }, { extra: 1 }]) {
      const res = await m.post('/wallet/monitors/', { env_id: m.envId, wallet_id: a, field: 'balance', op: 'lt', value: 1, ...bad });
      expect(res.status).toBe(422);
    }
    expect((await m.get('/wallet/monitors/', { env_id: m.envId })).body.monitors).toEqual([]);
  });
});

/** PUT and DELETE, which the merchant helper lacks. */
function request(method: 'put' | 'delete', m: ReturnType<typeof merchant>, path: string, body?: Record<string, unknown>) {
  const req = supertest(ctx.app)[method](path).set({ 'X-Wallet-Signature': envSecrets.get(m.envId)!, 'Content-Type': 'application/json' });
  return body ? req.send(seedBody(body)) : req;
}

// README's Spend limits and Balance alerts snippets, run as written against the live API
// (only url, secret, the environment, the user and the wallet are this test's).
test("README's Spend limits and Balance alerts snippets run against the live API", async () => {
  // Fails (never skips) when no Python with requests is here: npm test installs it.
  const python = pythonWithRequests();
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const snippetOf = (heading: string) => /```python\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf(heading)))![1]!;
  const server = ctx.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { m, a } = await setup('readme-limits');
    const code = [
      'import json, requests',
      `url, secret = ${JSON.stringify(url)}, ${JSON.stringify(envSecrets.get(m.envId))}`,
      snippetOf('### Spend limits'),
      'assert response.status_code == 200, response.text',
      'print(json.dumps(limits["daily_count"]))',
      snippetOf('### Balance alerts'),
      'assert response.status_code == 201, response.text',
      'print(json.dumps([monitor["field"], monitor["op"], monitor["status"]]))',
    ]
      .join('\n')
      .replace(/100000001/g, a)
      .replace(/"user_id": "42"/g, '"user_id": "alice"')
      .replace(/"env_id": 123/g, `"env_id": ${m.envId}`);
    // Async: the API answers from this process, so a synchronous child would block it.
    const out = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(python, ['-c', code], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (c) => resolve({ status: c, stdout, stderr }));
    });
    expect({ code: out.status, stderr: out.stderr }).toEqual({ code: 0, stderr: '' });
    const [count, mon] = out.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(count).toMatchObject({ limit: 10, used: 0, remaining: 10, source: 'wallet' });
    expect(mon).toEqual(['balance', 'lt', 'enabled']);
  } finally {
    server.close();
  }
}, 30_000);
