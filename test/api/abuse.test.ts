/**
 * Per-environment rate limits shared across API processes (two apps on one database
 * stand in for two processes), signed-mode authentication (v2: keys not derivable from the
 * stored digest, replays refused), and the per-address throttle of failed authentication.
 */
import { spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { LeasedRateLimiter } from '../../src/api/rate-limit';
import { signRequest, signedPayload } from '../../src/api/auth';
import { DEV_SECRETS_PEPPER } from '../../src/config';
import type { Pool } from '../../src/db/pool';
import { createEnvironment, hashSecret, purgeSeenSignatures } from '../../src/db/queries/environments';
import { signingKeyCipher, signingKeyOf } from '../../src/signing-keys';
import { newEnvironment, seedBody, startTestContext, type TestContext } from '../helpers/stack';
import { pythonWithRequests } from '../helpers/python';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await startTestContext();
});
afterAll(async () => ctx.close());

function limitedApp() {
  return createApp({
    pool: ctx.pool,
    temporal: { client: ctx.client, taskQueue: ctx.stack.taskQueue, searchAttributes: true, syncTimeoutMs: 30_000 },
    rateLimit: { perSecond: 5, burst: 0 },
  });
}

test('the limit holds across two API processes: 5 of 12 pass, the rest get 429 with Retry-After', async () => {
  const [one, two] = [limitedApp(), limitedApp()];
  const env = await newEnvironment(ctx.pool, 'limited');
  const other = await newEnvironment(ctx.pool, 'neighbour');
  const results = await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      request(i % 2 ? one : two).get('/wallet/').set('X-Wallet-Signature', env.secret).query({ env_id: env.envId, user_id: 'u' }),
    ),
  );
  const ok = results.filter((r) => r.status === 200);
  const limited = results.filter((r) => r.status === 429);
  expect(ok).toHaveLength(5);
  expect(limited).toHaveLength(7);
  for (const r of limited) {
    expect(r.body.error.code).toBe('rate_limited');
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(r.headers['ratelimit-limit']).toBe('5');
    expect(r.headers['ratelimit-remaining']).toBe('0');
  }
  // Another environment has its own bucket.
  const neighbour = await request(one).get('/wallet/').set('X-Wallet-Signature', other.secret).query({ env_id: other.envId, user_id: 'u' });
  expect(neighbour.status).toBe(200);
  expect(neighbour.headers['ratelimit-remaining']).toBe('4');
});

/** Two app instances (separate limiter state, one database) listening on loopback ports, as two API processes. */
async function listening(apps: ReturnType<typeof createApp>[]) {
  const servers = await Promise.all(
    apps.map(
      (app) =>
        new Promise<http.Server>((resolve) => {
          const s = http.createServer(app).listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  return {
    urls: servers.map((s) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`),
    close: () => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))),
  };
}

function leasedApp(limiter: LeasedRateLimiter) {
  return createApp({
    pool: ctx.pool,
    temporal: { client: ctx.client, taskQueue: ctx.stack.taskQueue, searchAttributes: true, syncTimeoutMs: 30_000 },
    rateLimit: limiter,
  });
}

test('leased buckets: two processes under sustained load admit within the stated tolerance, with one write per block', async () => {
  // 40/s, blocks of 2: per one-second window the two together admit at most 40 and at
  // least 40 - 2 blocks (README, Rate limits).
  const limit = 40;
  const limiters = [new LeasedRateLimiter(ctx.pool, { perSecond: limit, burst: 0 }), new LeasedRateLimiter(ctx.pool, { perSecond: limit, burst: 0 })];
  expect(limiters[0]!.block).toBe(2);
  const env = await newEnvironment(ctx.pool, 'leased');
  const { urls, close } = await listening(limiters.map(leasedApp));
  const admitted: number[] = [];
  const refusedAt: number[] = [];
  const started = Date.now();
  const durationMs = 2_500;
  try {
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        while (Date.now() - started < durationMs) {
          const res = await fetch(`${urls[i % 2]}/wallet/?env_id=${env.envId}&user_id=u`, { headers: { 'X-Wallet-Signature': env.secret } });
          await res.arrayBuffer();
          if (res.status === 200) admitted.push(Date.now());
          else {
            expect(res.status).toBe(429);
            refusedAt.push(Date.now());
          }
        }
      }),
    );
  } finally {
    await close();
  }
  const elapsed = (Date.now() - started) / 1000;
  // A refusal means its window's bucket was spent: that window admitted at least
  // limit - 2 blocks (each process may strand one part-used block). Windows last one
  // second, so refusals in n distinct one-second slots lie in at least ceil(n / 2)
  // windows. Counting only windows that refused keeps the bound true on a machine too
  // busy to offer 40 requests a second, where a window may end unspent.
  const refusingSlots = new Set(refusedAt.map((t) => Math.floor((t - started) / 1000))).size;
  // Windows start at the first lease after the last one ended: over `elapsed` seconds of
  // continuous load there are between floor(elapsed) and ceil(elapsed) + 1 of them... the
  // full ones each admit between limit - 2 blocks and limit.
  expect(admitted.length).toBeLessThanOrEqual(limit * (Math.floor(elapsed) + 1));
  expect(admitted.length).toBeGreaterThanOrEqual((limit - 2 * limiters[0]!.block) * Math.ceil(refusingSlots / 2));
  // (How many are refused depends on how fast this machine sends: not asserted.)
  // Leases, not requests, write: every lease of an admitting window grants a block, plus
  // at most one empty lease per process and window (then it refuses locally).
  const leases = limiters[0]!.leases + limiters[1]!.leases;
  expect(leases).toBeLessThanOrEqual(admitted.length / 2 + 2 * (Math.ceil(elapsed) + 1) + 2);
});

test('one process alone: past its budget it answers 429, and a high limit costs one write per block, not per request', async () => {
  const env = await newEnvironment(ctx.pool, 'alone');
  const small = new LeasedRateLimiter(ctx.pool, { perSecond: 5, burst: 0 });
  const big = new LeasedRateLimiter(ctx.pool, { perSecond: 2_000, burst: 0 });
  const { urls, close } = await listening([leasedApp(small), leasedApp(big)]);
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${urls[0]}/wallet/?env_id=${env.envId}&user_id=u`, { headers: { 'X-Wallet-Signature': env.secret } });
      await res.arrayBuffer();
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    // Another environment on the big limiter: 300 requests, blocks of 100.
    const other = await newEnvironment(ctx.pool, 'alone-big');
    const t0 = Date.now();
    for (let i = 0; i < 30; i++) {
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          const res = await fetch(`${urls[1]}/wallet/?env_id=${other.envId}&user_id=u`, { headers: { 'X-Wallet-Signature': other.secret } });
          await res.arrayBuffer();
          expect(res.status).toBe(200);
        }),
      );
    }
    // Each one-second window starts with a fresh lease: 3 blocks + one per window begun.
    const windows = Math.ceil((Date.now() - t0) / 1000) + 1;
    expect(big.leases).toBeLessThanOrEqual(3 + windows);
    expect(big.leases).toBeLessThan(30);
  } finally {
    await close();
  }
});

describe('signed mode', () => {
  let env: { envId: string; secret: string };
  let walletId: string;
  const cipher = signingKeyCipher(DEV_SECRETS_PEPPER);
  beforeAll(async () => {
    env = await newEnvironment(ctx.pool, 'signed');
    walletId = (await request(ctx.app).post('/wallet/').set('X-Wallet-Signature', env.secret).send(seedBody({ env_id: env.envId, user_id: 's' }))).body.id;
  });

  interface SignedOpts {
    secret?: string;
    timestamp?: number;
    envHeader?: string;
    sendBody?: string;
    /** The key that is signed (default: a fresh one); null = none. */
    key?: string | null;
    /** The key that is sent (default: the signed one); null = none. */
    sendKey?: string | null;
    /** A ready X-Wallet-Signature instead of signRequest's. */
    signature?: string;
  }

  function signed(body: string, opts: SignedOpts = {}) {
    const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
    const path = '/wallet/topup/';
    const key = opts.key === undefined ? randomUUID() : opts.key;
    const sendKey = opts.sendKey === undefined ? key : opts.sendKey;
    let req = request(ctx.app)
      .post(path)
      .set('Content-Type', 'application/json')
      .set('X-Wallet-Env', opts.envHeader ?? env.envId)
      .set('X-Wallet-Timestamp', String(timestamp))
      .set('X-Wallet-Signature', opts.signature ?? signRequest(opts.secret ?? env.secret, timestamp, 'POST', path, body, key ?? ''));
    if (sendKey !== null) req = req.set('Idempotency-Key', sendKey);
    return req.send(opts.sendBody ?? body);
  }

  const topupBody = () => seedBody({ env_id: env.envId, user_id: 's', wallet_id: walletId, amount: 1 });
  const balance = async () => (await ctx.pool.query('select balance::text from wallets where id = $1', [walletId])).rows[0].balance as string;

  test('a correctly signed request is accepted; a signed GET (no body, no key) too', async () => {
    const res = await signed(topupBody());
    expect(res.status).toBe(200);
    const timestamp = Math.floor(Date.now() / 1000);
    const path = `/wallet/?env_id=${env.envId}&user_id=s`;
    const list = await request(ctx.app)
      .get(path)
      .set('X-Wallet-Env', env.envId)
      .set('X-Wallet-Timestamp', String(timestamp))
      .set('X-Wallet-Signature', signRequest(env.secret, timestamp, 'GET', path, ''));
    expect(list.status).toBe(200);
    expect(list.body.wallets[0].id).toBe(walletId);
  });

  test('a tampered body or key, a stale or future timestamp, or another environment are refused with 401 and move nothing', async () => {
    const before = await balance();
    const tampered = await signed(topupBody(), { sendBody: seedBody({ env_id: env.envId, user_id: 's', wallet_id: walletId, amount: 1000 }) });
    const stale = await signed(topupBody(), { timestamp: Math.floor(Date.now() / 1000) - 301 });
    const future = await signed(topupBody(), { timestamp: Math.floor(Date.now() / 1000) + 301 });
    const other = await newEnvironment(ctx.pool, 'other-signed');
    const wrongEnv = await signed(topupBody(), { envHeader: other.envId });
    const wrongKey = await signed(topupBody(), { secret: other.secret });
    const otherIdempotencyKey = await signed(topupBody(), { key: 'signed-key', sendKey: 'another-key' });
    for (const res of [tampered, stale, future, wrongEnv, wrongKey, otherIdempotencyKey]) {
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
    expect(await balance()).toBe(before);
  });

  test("housekeeping forgets seen signatures once past the window, and only those", async () => {
    const timestamp = Math.floor(Date.now() / 1000);
    expect((await signed(topupBody(), { timestamp, key: 'kept-for-a-while' })).status).toBe(200);
    const live = (await ctx.pool.query('select count(*)::int as n from seen_signatures where env_id = $1', [env.envId])).rows[0].n as number;
    expect(live).toBeGreaterThan(0);
    await ctx.pool.query(`insert into seen_signatures (env_id, signature, expires_at) values ($1, '\\x00', now() - interval '1 second')`, [env.envId]);
    expect(await purgeSeenSignatures(ctx.pool)).toBeGreaterThanOrEqual(1);
    expect((await ctx.pool.query('select count(*)::int as n from seen_signatures where env_id = $1', [env.envId])).rows[0].n).toBe(live);
    const expires = (await ctx.pool.query('select min(expires_at) as at from seen_signatures where env_id = $1', [env.envId])).rows[0].at as Date;
    expect(expires.getTime() / 1000).toBeGreaterThanOrEqual(timestamp - 1 + 300);
  });

  test('a signed POST without Idempotency-Key is refused with 401 naming the header', async () => {
    const before = await balance();
    const res = await signed(topupBody(), { key: null });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/Idempotency-Key/);
    expect(await balance()).toBe(before);
  });

  test('replaying the identical signed request is refused (401 replayed_signature): the money moves once', async () => {
    const before = BigInt(await balance());
    const timestamp = Math.floor(Date.now() / 1000);
    const first = await signed(topupBody(), { timestamp, key: 'replay-me' });
    expect(first.status).toBe(200);
    const again = await signed(topupBody(), { timestamp, key: 'replay-me' });
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe('replayed_signature');
    expect(BigInt(await balance())).toBe(before + 100n);
  });

  test('a retry signed anew with the same Idempotency-Key is answered from the first result (the documented retry)', async () => {
    const before = BigInt(await balance());
    const now = Math.floor(Date.now() / 1000);
    const first = await signed(topupBody(), { timestamp: now - 1, key: 'retry-me' });
    const retry = await signed(topupBody(), { timestamp: now, key: 'retry-me' });
    expect([first.status, retry.status]).toEqual([200, 200]);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(BigInt(await balance())).toBe(before + 100n);
  });

  test('the captured signature with another Idempotency-Key, or none, is refused: the money moves once', async () => {
    const before = BigInt(await balance());
    const timestamp = Math.floor(Date.now() / 1000);
    const captured = signRequest(env.secret, timestamp, 'POST', '/wallet/topup/', topupBody(), 'captured-key');
    expect((await signed(topupBody(), { timestamp, signature: captured, key: 'captured-key' })).status).toBe(200);
    for (const sendKey of ['fresh-key-1', 'fresh-key-2', null]) {
      const res = await signed(topupBody(), { timestamp, signature: captured, key: 'captured-key', sendKey });
      expect(res.status).toBe(401);
    }
    expect(BigInt(await balance())).toBe(before + 100n);
  });

  test('a signature keyed with the stored digest (what a copy of environment_secrets holds) is refused', async () => {
    const before = await balance();
    const digest = (await ctx.pool.query('select secret_hash from environment_secrets where env_id = $1', [env.envId])).rows[0].secret_hash as Buffer;
    expect(digest.equals(hashSecret(env.secret))).toBe(true);
    const timestamp = Math.floor(Date.now() / 1000);
    const path = '/wallet/topup/';
    const body = topupBody();
    // The old scheme: v1 over `<ts>.<METHOD>.<path>.<body>` keyed with SHA-256(secret).
    const v1 = 'v1=' + createHmac('sha256', digest).update(`${timestamp}.POST.${path}.${body}`).digest('hex');
    // The new string, keyed with the digest.
    const v2 = 'v2=' + createHmac('sha256', digest).update(signedPayload(timestamp, 'POST', path, 'digest-key', body)).digest('hex');
    const old = await signed(body, { timestamp, signature: v1, key: null });
    const withDigest = await signed(body, { timestamp, signature: v2, key: 'digest-key' });
    for (const res of [old, withDigest]) {
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
    expect(old.body.error.message).toMatch(/v1/);
    // Nothing stored lets one compute the signing key: it is sealed, not the digest.
    const stored = (await ctx.pool.query('select signing_key_enc from environment_secrets where env_id = $1', [env.envId])).rows[0].signing_key_enc as Buffer;
    expect(stored.includes(signingKeyOf(env.secret))).toBe(false);
    expect(cipher.open(digest, stored)?.equals(signingKeyOf(env.secret))).toBe(true);
    expect(signingKeyCipher('another pepper of at least 32 chars').open(digest, stored)).toBeNull();
    expect(await balance()).toBe(before);
  });

  test('during a rotation overlap both secrets sign; the plain secret keeps working; an expired one does not', async () => {
    const next = 'secret_rotated_' + env.envId;
    const digest = hashSecret(next);
    await ctx.pool.query('insert into environment_secrets (env_id, secret_hash, signing_key_enc) values ($1, $2, $3)', [
      env.envId,
      digest,
      cipher.seal(digest, signingKeyOf(next)),
    ]);
    expect((await signed(topupBody(), { secret: next })).status).toBe(200);
    expect((await signed(topupBody())).status).toBe(200);
    await ctx.pool.query(`update environment_secrets set expires_at = now() - interval '1 second' where env_id = $1 and secret_hash <> $2`, [
      env.envId,
      digest,
    ]);
    expect((await signed(topupBody())).status).toBe(401);
    expect((await signed(topupBody(), { secret: next })).status).toBe(200);
  });

  test('a secret made before signing keys (or sealed under another pepper) is refused in signed mode until presented once in bearer mode', async () => {
    // As rows made before migration 008: no sealed signing key.
    const legacy = await createEnvironment(ctx.pool, 'legacy');
    const resealed = await createEnvironment(ctx.pool, 'old-pepper', { cipher: signingKeyCipher('a former pepper, 32 characters long!') });
    for (const e of [legacy, resealed]) {
      const body = seedBody({ env_id: e.id, user_id: 'l' });
      const timestamp = Math.floor(Date.now() / 1000);
      const signedCreate = (key: string) =>
        request(ctx.app)
          .post('/wallet/')
          .set('X-Wallet-Env', e.id)
          .set('X-Wallet-Timestamp', String(timestamp))
          .set('Idempotency-Key', key)
          .set('X-Wallet-Signature', signRequest(e.secret, timestamp, 'POST', '/wallet/', body, key))
          .send(body);
      const refused = await signedCreate('before');
      expect(refused.status).toBe(401);
      expect(refused.body.error.details).toEqual({ reason: 'signing_key_missing' });
      expect(refused.body.error.message).toMatch(/bearer mode/);
      // Bearer mode still works, and seals the key on the way.
      expect((await request(ctx.app).get('/wallet/').set('X-Wallet-Signature', e.secret).query({ env_id: e.id, user_id: 'l' })).status).toBe(200);
      expect((await signedCreate('after')).status).toBe(200);
    }
  });

  // README's snippet, run as written (only the url / env / secret line is set to this app's).
  test("README's Python signing snippet works against the live API", async () => {
    // Fails (never skips) when no Python with requests is here: npm test installs it.
    const python = pythonWithRequests();
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Signed requests'));
    const snippet = /```python\n([\s\S]*?)```/.exec(section)![1]!;
    expect(snippet).toMatch(/^url, env_id, secret = .*$/m);
    const server = ctx.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const mine = await newEnvironment(ctx.pool, 'readme-snippet');
      const wallet = (await request(ctx.app).post('/wallet/').set('X-Wallet-Signature', mine.secret).send({ env_id: mine.envId, user_id: 'py' })).body.id;
      const code = snippet
        .replace(/^url, env_id, secret = .*$/m, () => `url, env_id, secret = ${JSON.stringify(url)}, ${JSON.stringify(mine.envId)}, ${JSON.stringify(mine.secret)}`)
        .replace(/"wallet_id": [0-9]+/g, `"wallet_id": ${wallet}`)
        .replace(/"env_id": [0-9]+/g, `"env_id": ${mine.envId}`)
        .replace(/"user_id": "[^"]*"/g, '"user_id": "py"');
      const balanceOf = async () => BigInt((await ctx.pool.query('select balance::text from wallets where id = $1', [wallet])).rows[0].balance);
      const before = await balanceOf();
      const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(python, ['-c', code], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (c) => resolve({ code: c, stdout, stderr }));
      });
      expect(out).toMatchObject({ code: 0, stderr: '' });
      expect(out.stdout).toMatch(/^200 /);
      expect(await balanceOf()).toBe(before + 500n);
    } finally {
      server.close();
    }
  });
});

describe('throttle of failed authentication per client address', () => {
  /** The suite's pool, counting the queries the app makes. */
  function countingPool(): { pool: Pool; queries: () => number } {
    let n = 0;
    const pool = new Proxy(ctx.pool, {
      get(target, prop) {
        if (prop === 'query') {
          return (...args: unknown[]) => {
            n++;
            return (target.query as (...a: unknown[]) => unknown)(...args);
          };
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    return { pool, queries: () => n };
  }

  /** GET /wallet/ from a chosen loopback source address (127.0.0.0/8 is all loopback on Linux). */
  function getFrom(port: number, localAddress: string, secret: string, envId: string): Promise<{ status: number; retryAfter?: string; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, localAddress, path: `/wallet/?env_id=${envId}&user_id=t`, headers: { 'X-Wallet-Signature': secret } },
        (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string | undefined, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  test('after N wrong secrets an address gets 429 with Retry-After without a database query, even with the right secret; other addresses are unaffected', async () => {
    const counted = countingPool();
    const app = createApp({
      pool: counted.pool,
      temporal: { client: ctx.client, taskQueue: ctx.stack.taskQueue, searchAttributes: true, syncTimeoutMs: 30_000 },
      auth: { secretsPepper: DEV_SECRETS_PEPPER, failureThrottle: { failures: 5, windowSeconds: 60 } },
    });
    const env = await newEnvironment(ctx.pool, 'throttled');
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as AddressInfo).port;
    try {
      for (let i = 0; i < 5; i++) {
        const res = await getFrom(port, '127.0.0.1', `secret_wrong_${i}`, env.envId);
        expect(res.status).toBe(401);
      }
      const queriesBefore = counted.queries();
      for (const secret of ['secret_wrong_again', env.secret]) {
        const res = await getFrom(port, '127.0.0.1', secret, env.envId);
        expect(res.status).toBe(429);
        expect(JSON.parse(res.body).error.code).toBe('rate_limited');
        expect(Number(res.retryAfter)).toBeGreaterThanOrEqual(1);
      }
      expect(counted.queries()).toBe(queriesBefore);
      // Another address: its own budget.
      const other = await getFrom(port, '127.0.0.2', env.secret, env.envId);
      expect(other.status).toBe(200);
      expect((await getFrom(port, '127.0.0.2', 'secret_wrong_x', env.envId)).status).toBe(401);
    } finally {
      server.close();
    }
  });

  test('an attacker sharing the address (a NAT, a platform egress) cannot lock out a merchant whose secret authenticated in the window', async () => {
    const app = createApp({
      pool: ctx.pool,
      temporal: { client: ctx.client, taskQueue: ctx.stack.taskQueue, searchAttributes: true, syncTimeoutMs: 30_000 },
      auth: { secretsPepper: DEV_SECRETS_PEPPER, failureThrottle: { failures: 5, windowSeconds: 60 } },
    });
    const env = await newEnvironment(ctx.pool, 'shared-egress');
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as AddressInfo).port;
    try {
      expect((await getFrom(port, '127.0.0.3', env.secret, env.envId)).status).toBe(200); // the merchant
      for (let i = 0; i < 5; i++) expect((await getFrom(port, '127.0.0.3', `secret_wrong_${i}`, env.envId)).status).toBe(401); // the attacker
      expect((await getFrom(port, '127.0.0.3', 'secret_wrong_more', env.envId)).status).toBe(429);
      await new Promise((r) => setTimeout(r, 5_200)); // past the 5 s cache of verified secrets
      expect((await getFrom(port, '127.0.0.3', env.secret, env.envId)).status).toBe(200);
      expect((await getFrom(port, '127.0.0.3', 'secret_wrong_still', env.envId)).status).toBe(429);
    } finally {
      server.close();
    }
  });

  test('X-Forwarded-For is ignored unless TRUST_PROXY names the proxy: a client cannot pick a fresh address', async () => {
    const env = await newEnvironment(ctx.pool, 'forwarded');
    const make = (trustProxy?: string) =>
      createApp({
        pool: ctx.pool,
        temporal: { client: ctx.client, taskQueue: ctx.stack.taskQueue, searchAttributes: true, syncTimeoutMs: 30_000 },
        auth: { secretsPepper: DEV_SECRETS_PEPPER, failureThrottle: { failures: 3, windowSeconds: 60 } },
        ...(trustProxy ? { trustProxy } : {}),
      });
    const attempt = (app: ReturnType<typeof createApp>, forwardedFor: string, secret: string) =>
      request(app).get('/wallet/').set('X-Forwarded-For', forwardedFor).set('X-Wallet-Signature', secret).query({ env_id: env.envId, user_id: 't' });

    const direct = make();
    for (let i = 0; i < 3; i++) expect((await attempt(direct, `198.51.100.${i}`, 'secret_wrong')).status).toBe(401);
    expect((await attempt(direct, '198.51.100.99', env.secret)).status).toBe(429);

    const proxied = make('loopback');
    for (let i = 0; i < 3; i++) expect((await attempt(proxied, '198.51.100.1', 'secret_wrong')).status).toBe(401);
    expect((await attempt(proxied, '198.51.100.1', env.secret)).status).toBe(429);
    expect((await attempt(proxied, '198.51.100.2', env.secret)).status).toBe(200);
  });

  test('IPv6 clients are counted per /64: fresh addresses of one /64 share a budget (and ::ffff:a.b.c.d is a.b.c.d)', async () => {
    const env = await newEnvironment(ctx.pool, 'ipv6-throttle');
    const app = createApp({
      pool: ctx.pool,
      temporal: { client: ctx.client, taskQueue: ctx.stack.taskQueue, searchAttributes: true, syncTimeoutMs: 30_000 },
      auth: { secretsPepper: DEV_SECRETS_PEPPER, failureThrottle: { failures: 3, windowSeconds: 60 } },
      trustProxy: 'loopback',
    });
    const attempt = (forwardedFor: string, secret: string) =>
      request(app).get('/wallet/').set('X-Forwarded-For', forwardedFor).set('X-Wallet-Signature', secret).query({ env_id: env.envId, user_id: 't' });
    // One attacker, one /64, a new address per guess: the fourth guess is throttled all the same.
    for (let i = 1; i <= 3; i++) expect((await attempt(`2001:db8:aa:1::${i}`, 'secret_wrong')).status).toBe(401);
    expect((await attempt('2001:db8:aa:1:ffff::4', env.secret)).status).toBe(429);
    // Another /64 has its own budget.
    expect((await attempt('2001:db8:aa:2::1', env.secret)).status).toBe(200);
    // The IPv4-mapped form of an address shares the IPv4 address's budget.
    for (let i = 0; i < 3; i++) expect((await attempt('198.51.100.7', 'secret_wrong')).status).toBe(401);
    expect((await attempt('::ffff:198.51.100.7', 'secret_wrong_again')).status).toBe(429);
  });
});
