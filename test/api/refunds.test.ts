/** POST /wallet/refund: full, partial, over-refund refused, racing refunds never exceed the order. */
import { merchant } from '../helpers/api';
import { recordHistory } from '../helpers/record-history';
import { expectLedgerExact, newEnvironment, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
let m: ReturnType<typeof merchant>;
let w: string;
beforeAll(async () => {
  ctx = await startTestContext();
  m = merchant(ctx, await newEnvironment(ctx.pool));
  w = await m.wallet('alice');
  await m.topup('alice', w, 1000);
});
afterEach(async () => expectLedgerExact(ctx.pool));
afterAll(async () => ctx.close());

const refund = (body: Record<string, unknown>, key?: string) => m.post('/wallet/refund/', { env_id: Number(m.envId), ...body }, key);
const newOrder = async (amount: number) => (await m.pay('alice', w, amount)).body.order.id as string;

test('a full refund (no amount) gives the money back and marks the order refunded', async () => {
  const orderId = await newOrder(100);
  const before = BigInt(await m.balance(w));
  const res = await refund({ order_id: Number(orderId) });
  expect(res.status).toBe(200);
  expect(res.body.refund).toMatchObject({ order_id: orderId, amount: 100, currency: 'USD' });
  expect(res.body.order).toMatchObject({ id: orderId, status: 'refunded', refunded_amount: 100 });
  expect(res.body.wallet.balance).toBe(Number(before + 10000n) / 100);
  expect(BigInt(await m.balance(w))).toBe(before + 10000n);
  recordHistory('refund-full', res.headers['workflow-id'] as string);
});

test('partial refunds: partially_refunded, then refunded; more than what is left → 409, nothing moved', async () => {
  const orderId = await newOrder(50);
  const first = await refund({ order_id: orderId, amount: 20.25 });
  expect(first.status).toBe(200);
  expect(first.body.order).toMatchObject({ status: 'partially_refunded', refunded_amount: 20.25 });
  const before = await m.balance(w);
  const over = await refund({ order_id: orderId, amount: 30 });
  expect(over.status).toBe(409);
  expect(over.body.error.code).toBe('conflict');
  expect(await m.balance(w)).toBe(before);
  const rest = await refund({ order_id: orderId });
  expect(rest.body.order).toMatchObject({ status: 'refunded', refunded_amount: 50 });
  const again = await refund({ order_id: orderId, amount: 1 });
  expect(again.status).toBe(409);
});

test('refusals: unknown order 404, order of another environment 404, failed order 409, bad amount 422', async () => {
  expect((await refund({ order_id: 999999999 })).status).toBe(404);
  const other = merchant(ctx, await newEnvironment(ctx.pool, 'other'));
  const ow = await other.wallet('zed');
  await other.topup('zed', ow, 10);
  const foreignOrder = (await other.pay('zed', ow, 5)).body.order.id;
  expect((await refund({ order_id: foreignOrder })).status).toBe(404);

  const failed = await m.post('/wallet/payment/', { env_id: Number(m.envId), user_id: 'alice', wallet_id: Number(w), amount: 10 ** 9, product_id: 'x' });
  expect(failed.status).toBe(422);
  const { rows } = await ctx.pool.query(`select id::text from orders where wallet_id = $1 and status = 'failed'`, [w]);
  const res = await refund({ order_id: rows[0].id });
  expect(res.status).toBe(409);

  const orderId = await newOrder(5);
  for (const amount of [0, -1, 0.001, 'abc']) expect((await refund({ order_id: orderId, amount })).status).toBe(422);
});

test('racing refunds never exceed the order: 10 × 30.00 on a 100.00 order → 3 succeed', async () => {
  const orderId = await newOrder(100);
  const before = BigInt(await m.balance(w));
  const results = await Promise.all(Array.from({ length: 10 }, () => refund({ order_id: orderId, amount: 30 })));
  const statuses = results.map((r) => r.status).sort();
  expect(statuses).toEqual([200, 200, 200, 409, 409, 409, 409, 409, 409, 409]);
  expect(BigInt(await m.balance(w))).toBe(before + 9000n);
  const { rows } = await ctx.pool.query(`select refunded_amount::text, status from orders where id = $1`, [orderId]);
  expect(rows[0]).toEqual({ refunded_amount: '9000', status: 'partially_refunded' });
  const sum = await ctx.pool.query(`select sum(amount)::text as s from ledger_transactions where type = 'refund' and reference = $1`, [`order:${orderId}`]);
  expect(sum.rows[0].s).toBe('9000');
});
