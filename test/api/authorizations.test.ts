/**
 * Authorize now, capture later (issue 12, part 2) against the real stack: authorize,
 * full and partial capture, void, expiry, refunds of what was captured, a suspended
 * wallet's holds, idempotent retries, a Temporal cancel, and races between capture, void
 * and expiry resolving to exactly one outcome with the ledger exact after each test.
 */
import { merchant } from '../helpers/api';
import { pollUntil } from '../helpers/poll';
import { recordHistory } from '../helpers/record-history';
import { expectLedgerExact, newEnvironment, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
let m: ReturnType<typeof merchant>;
let w: string;
beforeAll(async () => {
  ctx = await startTestContext();
  m = merchant(ctx, await newEnvironment(ctx.pool));
  w = await m.wallet('alice');
  await m.topup('alice', w, 5000);
});
afterEach(async () => expectLedgerExact(ctx.pool));
afterAll(async () => ctx.close());

const env = () => Number(m.envId);
const authorize = (amount: number | string, extra: Record<string, unknown> = {}, key?: string, wallet = w, user = 'alice') =>
  m.post('/wallet/payment/', { env_id: env(), user_id: user, wallet_id: Number(wallet), amount, product_id: 'p1', capture: false, ...extra }, key);
const capture = (orderId: string, body: Record<string, unknown> = {}, key?: string) =>
  m.post(`/wallet/orders/${orderId}/capture/`, { env_id: env(), ...body }, key);
const voidOrder = (orderId: string, key?: string) => m.post(`/wallet/orders/${orderId}/void/`, { env_id: env() }, key);

async function walletRow(walletId = w): Promise<{ balance: bigint; held: bigint; status: string }> {
  const { rows } = await ctx.pool.query<{ balance: string; held: string; status: string }>('select balance, held, status from wallets where id = $1', [walletId]);
  return { balance: BigInt(rows[0]!.balance), held: BigInt(rows[0]!.held), status: rows[0]!.status };
}
async function orderRow(orderId: string) {
  const { rows } = await ctx.pool.query<{ status: string; captured_amount: string; void_reason: string | null; workflow_id: string }>(
    'select status, captured_amount::text, void_reason, workflow_id from orders where id = $1',
    [orderId],
  );
  return rows[0]!;
}
async function eventsOf(orderId: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const { rows } = await ctx.pool.query<{ type: string; payload: string }>(
    `select type, payload from webhook_events where env_id = $1 and type like 'payment.%' and payload::jsonb #>> '{data,order,id}' = $2 order by id`,
    [m.envId, orderId],
  );
  return rows.map((r) => ({ type: r.type, data: JSON.parse(r.payload).data }));
}
/** The payment workflow of an order has ended (its hold decided); its result or failure. */
const workflowEnd = async (orderId: string) => {
  const { workflow_id } = await orderRow(orderId);
  return ctx.client.workflow.getHandle(workflow_id).result().then(
    () => 'completed',
    (err: Error) => err.name,
  );
};

test('authorize holds the amount: order authorized with captured_amount 0 and expires_at 7 days on; full capture takes it; a second capture is 409', async () => {
  const before = await walletRow();
  const started = Date.now();
  const res = await authorize(40);
  expect(res.status).toBe(200);
  const order = res.body.order;
  expect(order).toMatchObject({ status: 'authorized', amount: 40, captured_amount: 0, refunded_amount: 0, transaction_id: null, void_reason: null });
  const ttlMs = Date.parse(order.expires_at) - started;
  expect(ttlMs).toBeGreaterThan(7 * 86400_000 - 60_000);
  expect(ttlMs).toBeLessThan(7 * 86400_000 + 60_000);
  expect(res.body.wallet).toMatchObject({ held: 40, balance: Number(before.balance - 4000n) / 100 });
  expect(await walletRow()).toMatchObject({ balance: before.balance - 4000n, held: before.held + 4000n });

  const captured = await capture(order.id);
  expect(captured.status).toBe(200);
  expect(captured.body.order).toMatchObject({ id: order.id, status: 'completed', amount: 40, captured_amount: 40 });
  expect(captured.body.wallet).toMatchObject({ held: 0, balance: Number(before.balance - 4000n) / 100 });
  expect(captured.headers['workflow-id']).toBe(res.headers['workflow-id']);
  expect(await walletRow()).toMatchObject({ balance: before.balance - 4000n, held: before.held });

  const again = await capture(order.id);
  expect(again.status).toBe(409);
  expect(again.body.error).toMatchObject({ code: 'order_not_authorized', details: { status: 'completed' } });
  expect((await voidOrder(order.id)).status).toBe(409);
  expect(await workflowEnd(order.id)).toBe('completed');
  expect((await eventsOf(order.id)).map((e) => e.type)).toEqual(['payment.authorized', 'payment.captured']);
  recordHistory('payment-authorized-captured', res.headers['workflow-id'] as string);
});

test('partial capture takes part and releases the rest; refunds are limited to what was captured', async () => {
  const before = await walletRow();
  const order = (await authorize(100)).body.order;
  const refundEarly = await m.post('/wallet/refund/', { env_id: env(), order_id: order.id });
  expect(refundEarly.status).toBe(409);

  const res = await capture(order.id, { amount: 60.25 });
  expect(res.status).toBe(200);
  expect(res.body.order).toMatchObject({ status: 'completed', amount: 100, captured_amount: 60.25 });
  expect(await walletRow()).toMatchObject({ balance: before.balance - 6025n, held: before.held });
  const events = await eventsOf(order.id);
  expect(events.map((e) => e.type)).toEqual(['payment.authorized', 'payment.captured']);
  expect(events[1]!.data).toMatchObject({ captured_amount: 60.25, released_amount: 39.75 });

  const over = await m.post('/wallet/refund/', { env_id: env(), order_id: order.id, amount: 70 });
  expect(over.status).toBe(409);
  const part = await m.post('/wallet/refund/', { env_id: env(), order_id: order.id, amount: 60 });
  expect(part.status).toBe(200);
  expect(part.body.order).toMatchObject({ status: 'partially_refunded', refunded_amount: 60, captured_amount: 60.25 });
  const rest = await m.post('/wallet/refund/', { env_id: env(), order_id: order.id });
  expect(rest.status).toBe(200);
  expect(rest.body.refund.amount).toBe(0.25);
  expect(rest.body.order).toMatchObject({ status: 'refunded', refunded_amount: 60.25 });
  expect(await walletRow()).toMatchObject({ balance: before.balance, held: before.held });
});

test('void releases the whole hold: order voided (requested); capture after it is 409', async () => {
  const before = await walletRow();
  const res = await authorize(25.5);
  const order = res.body.order;
  const voided = await voidOrder(order.id);
  expect(voided.status).toBe(200);
  expect(voided.body.order).toMatchObject({ status: 'voided', void_reason: 'requested', captured_amount: 0, transaction_id: null });
  expect(voided.body.wallet).toMatchObject({ held: Number(before.held) / 100 });
  expect(await walletRow()).toMatchObject({ balance: before.balance, held: before.held });
  const late = await capture(order.id);
  expect(late.status).toBe(409);
  expect(late.body.error).toMatchObject({ code: 'order_not_authorized', details: { status: 'voided', void_reason: 'requested' } });
  expect(await workflowEnd(order.id)).toBe('completed');
  const events = await eventsOf(order.id);
  expect(events.map((e) => e.type)).toEqual(['payment.authorized', 'payment.voided']);
  expect(events[1]!.data).toMatchObject({ reason: 'requested', released_amount: 25.5 });
  recordHistory('payment-authorized-voided', res.headers['workflow-id'] as string);
});

test('an uncaptured hold voids itself at expires_at (authorization_ttl_seconds); capture and void after it are 409', async () => {
  const before = await walletRow();
  const res = await authorize(12, { authorization_ttl_seconds: 2 });
  expect(res.status).toBe(200);
  const order = res.body.order;
  expect(Date.parse(order.expires_at) - Date.parse(order.created_at)).toBeGreaterThanOrEqual(1900);
  await pollUntil('the authorization to expire', async () => (await orderRow(order.id)).status === 'voided');
  expect(await orderRow(order.id)).toMatchObject({ status: 'voided', void_reason: 'expired', captured_amount: '0' });
  expect(await walletRow()).toMatchObject({ balance: before.balance, held: before.held });
  expect(await workflowEnd(order.id)).toBe('completed');
  const late = await capture(order.id);
  expect(late.status).toBe(409);
  expect(late.body.error).toMatchObject({ code: 'order_not_authorized', details: { status: 'voided', void_reason: 'expired' } });
  expect((await voidOrder(order.id)).status).toBe(409);
  const events = await eventsOf(order.id);
  expect(events.map((e) => e.type)).toEqual(['payment.authorized', 'payment.voided']);
  expect(events[1]!.data).toMatchObject({ reason: 'expired' });
  recordHistory('payment-authorized-expired', res.headers['workflow-id'] as string);
});

test('refusals: amount over the hold 422, a payment captured at once 409, unknown or foreign order 404, bad fields 422; nothing moves', async () => {
  const order = (await authorize(10)).body.order;
  const before = await walletRow();
  const over = await capture(order.id, { amount: 10.01 });
  expect(over.status).toBe(422);
  expect(over.body.error.code).toBe('amount_exceeds_authorization');
  for (const amount of [0, -1, 0.001, 'abc']) expect((await capture(order.id, { amount })).status).toBe(422);
  expect((await capture(order.id, { amount: 1, extra: 1 })).status).toBe(422);
  expect(await walletRow()).toEqual(before);
  expect((await orderRow(order.id)).status).toBe('authorized');

  const paid = (await m.pay('alice', w, 1)).body.order;
  expect(paid).toMatchObject({ status: 'completed', captured_amount: 1, expires_at: null });
  const notAuth = await capture(paid.id);
  expect(notAuth.status).toBe(409);
  expect(notAuth.body.error.code).toBe('order_not_authorized');
  expect((await voidOrder(paid.id)).status).toBe(409);
  expect((await capture('999999999')).status).toBe(404);
  const other = merchant(ctx, await newEnvironment(ctx.pool, 'other'));
  const ow = await other.wallet('zed');
  await other.topup('zed', ow, 10);
  const foreign = await other.post('/wallet/payment/', { env_id: Number(other.envId), user_id: 'zed', wallet_id: Number(ow), amount: 5, product_id: 'p', capture: false });
  expect(foreign.status).toBe(200);
  expect((await capture(foreign.body.order.id)).status).toBe(404);
  expect((await other.post(`/wallet/orders/${foreign.body.order.id}/void/`, { env_id: Number(other.envId) })).status).toBe(200);

  // authorization_ttl_seconds: only with capture false, whole seconds from 1 to 30 days.
  const pay = (extra: Record<string, unknown>) =>
    m.post('/wallet/payment/', { env_id: env(), user_id: 'alice', wallet_id: Number(w), amount: 1, product_id: 'p1', ...extra });
  expect((await pay({ authorization_ttl_seconds: 60 })).status).toBe(422);
  expect((await pay({ capture: true, authorization_ttl_seconds: 60 })).status).toBe(422);
  for (const ttl of [0, -1, 1.5, 'abc', 2_592_001]) expect((await pay({ capture: false, authorization_ttl_seconds: ttl })).status).toBe(422);
  expect((await pay({ capture: 'no' })).status).toBe(422);
  const longest = await pay({ capture: false, authorization_ttl_seconds: 2_592_000 });
  expect(longest.status).toBe(200);
  expect(Date.parse(longest.body.order.expires_at) - Date.parse(longest.body.order.created_at)).toBeGreaterThan(2_592_000_000 - 60_000);
  expect((await voidOrder(longest.body.order.id)).status).toBe(200);
  expect((await voidOrder(order.id)).status).toBe(200);

  // Not enough money: 422 insufficient_funds, the order recorded failed, nothing held.
  const held = await walletRow();
  const poor = await authorize(10 ** 7);
  expect(poor.status).toBe(422);
  expect(poor.body.error.code).toBe('insufficient_funds');
  expect(await walletRow()).toEqual(held);
  const { rows } = await ctx.pool.query(`select status, failure_code from orders where wallet_id = $1 and amount = $2`, [w, String(10 ** 9)]);
  expect(rows).toEqual([{ status: 'failed', failure_code: 'insufficient_funds' }]);
});

test('idempotent retries: the same authorize, capture and void with their keys answer the same and move nothing twice', async () => {
  const key = `auth-${Date.now()}`;
  const first = await authorize(7, {}, key);
  const again = await authorize(7, {}, key);
  expect(again.status).toBe(200);
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect(again.body.order.id).toBe(first.body.order.id);
  const before = await walletRow();
  const c1 = await capture(first.body.order.id, { amount: 5 }, `${key}-capture`);
  const c2 = await capture(first.body.order.id, { amount: 5 }, `${key}-capture`);
  expect([c1.status, c2.status]).toEqual([200, 200]);
  expect(c2.body).toEqual(c1.body);
  expect(await walletRow()).toMatchObject({ balance: before.balance + 200n, held: before.held - 700n });

  // Concurrent twins with one key: one capture, both answered with it.
  const second = (await authorize(3)).body.order;
  const twins = await Promise.all([capture(second.id, {}, `${key}-twin`), capture(second.id, {}, `${key}-twin`)]);
  expect(twins.map((r) => r.status)).toEqual([200, 200]);
  expect(twins[1]!.body.order).toEqual(twins[0]!.body.order);
  expect((await eventsOf(second.id)).map((e) => e.type)).toEqual(['payment.authorized', 'payment.captured']);
});

test('a suspended wallet keeps its holds: capture, void and expiry still end them; a new authorization is refused; closing waits for the holds', async () => {
  const u = await m.wallet('sue');
  await m.topup('sue', u, 100);
  const a = (await authorize(30, {}, undefined, u, 'sue')).body.order;
  const b = (await authorize(20, {}, undefined, u, 'sue')).body.order;
  const c = (await authorize(10, { authorization_ttl_seconds: 1 }, undefined, u, 'sue')).body.order;
  await m.setStatus('sue', u, 'suspended');
  // c may already have expired (1 s): a and b are held in any case.
  expect((await walletRow(u)).held).toBeGreaterThanOrEqual(5000n);
  const refused = await authorize(1, {}, undefined, u, 'sue');
  expect(refused.status).toBe(422);
  expect(refused.body.error.code).toBe('wallet_not_active');

  const closing = await m.patch(`/wallet/${u}/status/`, { env_id: m.envId, user_id: 'sue', status: 'closed' });
  expect(closing.status).toBe(409);

  const captured = await capture(a.id, { amount: 25 });
  expect(captured.status).toBe(200);
  expect(captured.body.order).toMatchObject({ status: 'completed', captured_amount: 25 });
  expect(captured.body.wallet.status).toBe('suspended');
  expect((await voidOrder(b.id)).status).toBe(200);
  await pollUntil('the suspended wallet’s authorization to expire', async () => (await orderRow(c.id)).status === 'voided');
  expect(await walletRow(u)).toMatchObject({ balance: 7500n, held: 0n, status: 'suspended' });
});

test('races: capture vs capture vs void on one authorization resolve to exactly one outcome', async () => {
  const before = await walletRow();
  const orders = await Promise.all(Array.from({ length: 6 }, () => authorize(10).then((r) => r.body.order.id as string)));
  const results = await Promise.all(
    orders.map(async (id) => {
      const answers = await Promise.all([capture(id), voidOrder(id), capture(id, { amount: 4 }), voidOrder(id)]);
      return { id, answers };
    }),
  );
  let takenMinor = 0n;
  for (const { id, answers } of results) {
    const ok = answers.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    for (const r of answers.filter((x) => x.status !== 200)) {
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('order_not_authorized');
    }
    const final = await orderRow(id);
    expect(ok[0]!.body.order.status).toBe(final.status);
    takenMinor += BigInt(final.captured_amount);
    const events = (await eventsOf(id)).map((e) => e.type);
    expect(events.filter((t) => t === 'payment.captured' || t === 'payment.voided')).toHaveLength(1);
  }
  expect(await walletRow()).toMatchObject({ balance: before.balance - takenMinor, held: before.held });
});

test('races with the expiry: captures and voids sent across expires_at give one outcome per authorization', async () => {
  const before = await walletRow();
  const orders = await Promise.all(Array.from({ length: 4 }, () => authorize(5, { authorization_ttl_seconds: 1 }).then((r) => r.body.order.id as string)));
  const outcomes = await Promise.all(
    orders.map(async (id, i) => {
      const oks: string[] = [];
      // Keep trying until the order is decided: some land before expires_at, some after.
      for (;;) {
        const r = i % 2 === 0 ? await capture(id) : await voidOrder(id);
        if (r.status === 200) oks.push(r.body.order.status);
        else {
          expect(r.status).toBe(409);
          expect(['order_not_authorized', 'authorization_expired']).toContain(r.body.error.code);
        }
        if (r.status === 200 || r.body.error?.code === 'order_not_authorized') break;
      }
      await pollUntil('the order to be decided', async () => (await orderRow(id)).status !== 'authorized');
      return { id, oks };
    }),
  );
  let takenMinor = 0n;
  for (const { id, oks } of outcomes) {
    const final = await orderRow(id);
    expect(['completed', 'voided']).toContain(final.status);
    expect(oks.length).toBeLessThanOrEqual(1);
    if (oks.length) expect(oks[0]).toBe(final.status);
    else expect(final).toMatchObject({ status: 'voided', void_reason: 'expired' });
    takenMinor += BigInt(final.captured_amount);
    const events = (await eventsOf(id)).map((e) => e.type);
    expect(events.filter((t) => t === 'payment.captured' || t === 'payment.voided')).toHaveLength(1);
    expect(await workflowEnd(id)).toBe('completed');
  }
  expect(await walletRow()).toMatchObject({ balance: before.balance - takenMinor, held: before.held });
});

test('a Temporal cancel of the payment workflow releases the hold (void_reason canceled)', async () => {
  const before = await walletRow();
  const res = await authorize(8);
  const order = res.body.order;
  const handle = ctx.client.workflow.getHandle(res.headers['workflow-id'] as string);
  await handle.cancel();
  expect(await workflowEnd(order.id)).toBe('WorkflowFailedError');
  expect(await orderRow(order.id)).toMatchObject({ status: 'voided', void_reason: 'canceled' });
  expect(await walletRow()).toEqual(before);
  expect((await capture(order.id)).status).toBe(409);
  recordHistory('payment-authorized-canceled', res.headers['workflow-id'] as string);
});
