/**
 * Idempotency-Key on money-moving POSTs: replay with Idempotent-Replayed, 409 on a
 * different body, concurrent twins make one movement, keys scoped per environment
 * and kept at least 24 hours.
 */
import request from 'supertest';
import { purgeKeys } from '../../src/db/queries/idempotency';
import { merchant } from '../helpers/api';
import { expectLedgerExact, newEnvironment, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
let env: { envId: string; secret: string };
let m: ReturnType<typeof merchant>;
let w: string;
beforeAll(async () => {
  ctx = await startTestContext();
  env = await newEnvironment(ctx.pool);
  m = merchant(ctx, env);
  w = await m.wallet('alice');
});
afterEach(async () => expectLedgerExact(ctx.pool));
afterAll(async () => ctx.close());

const topupBody = (amount: unknown) => ({ env_id: Number(env.envId), user_id: 'alice', wallet_id: Number(w), amount });
const movements = async () =>
  Number((await ctx.pool.query(`select count(*) from ledger_postings where wallet_id = $1`, [w])).rows[0].count);

test('same key, same body → the first answer again, Idempotent-Replayed: true, nothing moves twice', async () => {
  const first = await m.post('/wallet/topup/', topupBody(10), 'key-replay');
  expect(first.status).toBe(200);
  expect(first.headers['idempotent-replayed']).toBeUndefined();
  const count = await movements();
  const again = await m.post('/wallet/topup/', topupBody(10), 'key-replay');
  expect(again.status).toBe(200);
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect(again.text).toBe(first.text);
  expect(again.headers['workflow-id']).toBe(first.headers['workflow-id']);
  expect(await movements()).toBe(count);
});

test('the seed double-encoded body and a plain JSON body with the same content hash alike', async () => {
  const first = await m.post('/wallet/topup/', topupBody(11), 'key-encodings');
  const plain = await request(ctx.app)
    .post('/wallet/topup') // no trailing slash either
    .set({ 'X-Wallet-Signature': env.secret, 'Idempotency-Key': 'key-encodings', 'Content-Type': 'application/json' })
    .send(JSON.stringify({ amount: 11, wallet_id: Number(w), user_id: 'alice', env_id: Number(env.envId) }));
  expect(plain.status).toBe(200);
  expect(plain.headers['idempotent-replayed']).toBe('true');
  expect(plain.text).toBe(first.text);
});

test('same key, different body → 409 idempotency_key_mismatch, nothing moves', async () => {
  await m.post('/wallet/topup/', topupBody(12), 'key-mismatch');
  const count = await movements();
  const other = await m.post('/wallet/topup/', topupBody(13), 'key-mismatch');
  expect(other.status).toBe(409);
  expect(other.body.error.code).toBe('idempotency_key_mismatch');
  const otherPath = await m.post('/wallet/payment/', { ...topupBody(12), product_id: 'p' }, 'key-mismatch');
  expect(otherPath.status).toBe(409);
  expect(await movements()).toBe(count);
});

test('a refusal is replayed too: the same 422, not a second attempt', async () => {
  const first = await m.post('/wallet/payment/', { ...topupBody(10 ** 9), product_id: 'big' }, 'key-refused');
  expect(first.status).toBe(422);
  const again = await m.post('/wallet/payment/', { ...topupBody(10 ** 9), product_id: 'big' }, 'key-refused');
  expect(again.status).toBe(422);
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect(again.text).toBe(first.text);
});

test('20 concurrent topups with one key → one movement, 20 × 200 with the same body', async () => {
  const count = await movements();
  const results = await Promise.all(Array.from({ length: 20 }, () => m.post('/wallet/topup/', topupBody(7), 'key-concurrent-topup')));
  expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
  expect(new Set(results.map((r) => r.body.transaction_id)).size).toBe(1);
  expect(results.filter((r) => r.headers['idempotent-replayed'] !== 'true').length).toBe(1);
  expect(await movements()).toBe(count + 1);
  const { rows } = await ctx.pool.query(`select count(*)::int as n from ledger_transactions where env_id = $1 and type = 'topup' and amount = 700`, [env.envId]);
  expect(rows[0].n).toBe(1);
});

test('keys are scoped to the environment', async () => {
  const env2 = await newEnvironment(ctx.pool, 'second');
  const m2 = merchant(ctx, env2);
  const w2 = await m2.wallet('alice');
  await m.post('/wallet/topup/', topupBody(3), 'key-shared');
  const res = await m2.post('/wallet/topup/', { env_id: Number(env2.envId), user_id: 'alice', wallet_id: Number(w2), amount: 3 }, 'key-shared');
  expect(res.status).toBe(200);
  expect(res.headers['idempotent-replayed']).toBeUndefined();
  expect(await m2.balance(w2)).toBe('300');
});

test('a malformed key → 422; a key of 255 characters is fine', async () => {
  const long = await m.post('/wallet/topup/', topupBody(1), 'k'.repeat(256));
  expect(long.status).toBe(422);
  const spaced = await m.post('/wallet/topup/', topupBody(1), 'has space');
  expect(spaced.status).toBe(422);
  const ok = await m.post('/wallet/topup/', topupBody(1), 'k'.repeat(255));
  expect(ok.status).toBe(200);
});

test('keys are kept at least 24 hours: the purge leaves a 23-hour-old key and removes a 49-hour-old one', async () => {
  await m.post('/wallet/topup/', topupBody(2), 'key-old');
  await m.post('/wallet/topup/', topupBody(2), 'key-older');
  await ctx.pool.query(`update idempotency_keys set created_at = now() - interval '23 hours' where env_id = $1 and key = 'key-old'`, [env.envId]);
  await ctx.pool.query(`update idempotency_keys set created_at = now() - interval '49 hours' where env_id = $1 and key = 'key-older'`, [env.envId]);
  await purgeKeys(ctx.pool, 48);
  const { rows } = await ctx.pool.query(`select key from idempotency_keys where env_id = $1 and key like 'key-old%' order by key`, [env.envId]);
  expect(rows.map((r) => r.key)).toEqual(['key-old']);
  const replay = await m.post('/wallet/topup/', topupBody(2), 'key-old');
  expect(replay.headers['idempotent-replayed']).toBe('true');
});

test('transfer and refund take keys too', async () => {
  const b = await m.wallet('bob');
  await m.topup('alice', w, 100);
  const body = { env_id: Number(env.envId), user_id: 'alice', wallet_id: Number(w), to_wallet_id: Number(b), amount: 5 };
  const t1 = await m.post('/wallet/transfer/', body, 'key-transfer');
  const t2 = await m.post('/wallet/transfer/', body, 'key-transfer');
  expect(t2.headers['idempotent-replayed']).toBe('true');
  expect(t2.body.transfer.id).toBe(t1.body.transfer.id);
  expect(await m.balance(b)).toBe('500');

  const orderId = (await m.pay('alice', w, 10)).body.order.id;
  const r1 = await m.post('/wallet/refund/', { env_id: Number(env.envId), order_id: orderId, amount: 4 }, 'key-refund');
  const r2 = await m.post('/wallet/refund/', { env_id: Number(env.envId), order_id: orderId, amount: 4 }, 'key-refund');
  expect(r1.status).toBe(200);
  expect(r2.headers['idempotent-replayed']).toBe('true');
  expect(r2.body.order.refunded_amount).toBe(4);
});
