/**
 * Issue 12, part 3: marketplace splits and platform fees, against the real stack.
 * Split payments (legs, balances, a suspended seller refuses the whole payment), refunds
 * taken back from sellers in proportion (409 when a seller no longer can, from_revenue),
 * fee schedules (PUT/GET, validation), transfer, withdrawal and payment fees (answers,
 * history, events), all in one ledger transaction each. Ledger invariants after each test.
 */
import { merchant } from '../helpers/api';
import { recordHistory } from '../helpers/record-history';
import { expectLedgerExact, newEnvironment, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
type Merchant = ReturnType<typeof merchant>;

beforeAll(async () => {
  ctx = await startTestContext();
});
afterEach(async () => expectLedgerExact(ctx.pool));
afterAll(async () => ctx.close());

/** A fresh environment (fee schedules are per environment) with a funded buyer and two sellers. */
async function market(name: string) {
  const m = merchant(ctx, await newEnvironment(ctx.pool, name));
  const buyer = await m.wallet('buyer');
  await m.topup('buyer', buyer, 1000);
  const s1 = await m.wallet('seller-1');
  const s2 = await m.wallet('seller-2');
  return { m, buyer, s1, s2 };
}

const pay = (m: Merchant, wallet: string, amount: number | string, splits?: { wallet_id: string | number; amount: number | string }[], key?: string) =>
  m.post('/wallet/payment/', { env_id: Number(m.envId), user_id: 'buyer', wallet_id: Number(wallet), amount, product_id: 'cart', ...(splits ? { splits } : {}) }, key);

/** An authorization (`"capture": false`) with splits. */
const authorize = (m: Merchant, wallet: string, amount: number | string, splits: { wallet_id: string | number; amount: number | string }[]) =>
  m.post('/wallet/payment/', { env_id: Number(m.envId), user_id: 'buyer', wallet_id: Number(wallet), amount, product_id: 'cart', capture: false, splits });
const capture = (m: Merchant, orderId: string, amount?: number | string) =>
  m.post(`/wallet/orders/${orderId}/capture/`, { env_id: Number(m.envId), ...(amount === undefined ? {} : { amount }) });

/** The legs of a ledger transaction: account (wallet id for wallets) → amount in minor units. */
async function legs(transactionId: string): Promise<Record<string, string>> {
  const { rows } = await ctx.pool.query<{ account: string; wallet_id: string | null; amount: string }>(
    'select account, wallet_id::text, amount::text from ledger_postings where transaction_id = $1',
    [transactionId],
  );
  return Object.fromEntries(rows.map((r) => [r.wallet_id ?? r.account, r.amount]));
}

/** The environment's events of a type, as the webhooks carry them (GET /events/). */
async function events(m: Merchant, type: string) {
  const res = await m.get('/events/', { env_id: m.envId, limit: 100 });
  expect(res.status).toBe(200);
  return (res.body.events as { type: string; data: Record<string, any> }[]).filter((e) => e.type === type);
}

test('a split payment: sellers get their parts, revenue the rest, one ledger transaction', async () => {
  const { m, buyer, s1, s2 } = await market('splits');
  const res = await pay(m, buyer, 100, [{ wallet_id: Number(s1), amount: 60 }, { wallet_id: s2, amount: '25.50' }]);
  expect(res.status).toBe(200);
  expect(res.body.order).toMatchObject({
    status: 'completed',
    amount: 100,
    fee: 0,
    splits: [{ wallet_id: s1, amount: 60, fee: 0 }, { wallet_id: s2, amount: 25.5, fee: 0 }],
  });
  expect(res.body.wallet.balance).toBe(900);
  expect(await legs(res.body.order.transaction_id)).toEqual({ [buyer]: '-10000', [s1]: '6000', [s2]: '2550', revenue: '1450' });
  expect(await m.balance(s1)).toBe('6000');
  expect(await m.balance(s2)).toBe('2550');
  const [event] = await events(m, 'payment.completed');
  expect(event!.data.order.splits).toEqual([{ wallet_id: s1, amount: 60, fee: 0 }, { wallet_id: s2, amount: 25.5, fee: 0 }]);
  recordHistory('payment-splits', res.headers['workflow-id'] as string);

  // Splits up to the whole amount: nothing to revenue (no zero leg).
  const all = await pay(m, buyer, 10, [{ wallet_id: s1, amount: 10 }]);
  expect(all.status).toBe(200);
  expect(await legs(all.body.order.transaction_id)).toEqual({ [buyer]: '-1000', [s1]: '1000' });
});

test('a suspended, closed, unknown or foreign-currency seller refuses the whole payment, naming it; nothing moves', async () => {
  const { m, buyer, s1, s2 } = await market('splits-refusals');
  await m.setStatus('seller-2', s2, 'suspended');
  const before = await m.balance(buyer);
  const suspended = await pay(m, buyer, 50, [{ wallet_id: s1, amount: 20 }, { wallet_id: s2, amount: 20 }]);
  expect(suspended.status).toBe(422);
  expect(suspended.body.error).toMatchObject({ code: 'wallet_not_active', details: { wallet_id: s2, status: 'suspended', field: 'splits.1.wallet_id' } });
  expect(suspended.body.error.message).toContain(s2);

  const closed = await m.wallet('seller-3');
  await m.setStatus('seller-3', closed, 'closed');
  const closedRes = await pay(m, buyer, 50, [{ wallet_id: closed, amount: 20 }]);
  expect(closedRes.status).toBe(422);
  expect(closedRes.body.error.details).toMatchObject({ wallet_id: closed, status: 'closed' });

  const euro = await m.wallet('seller-eur', 'EUR');
  const foreign = await pay(m, buyer, 50, [{ wallet_id: euro, amount: 20 }]);
  expect(foreign.status).toBe(422);
  expect(foreign.body.error).toMatchObject({ code: 'currency_mismatch', details: { wallet_id: euro } });
  const unknown = await pay(m, buyer, 50, [{ wallet_id: 999999999, amount: 20 }]);
  expect(unknown.status).toBe(404);
  expect(unknown.body.error.details).toMatchObject({ wallet_id: '999999999' });

  // Shape refusals: more than the amount, the payer itself, a wallet twice, bad amounts, empty list.
  for (const splits of [
    [{ wallet_id: s1, amount: 51 }],
    [{ wallet_id: buyer, amount: 1 }],
    [{ wallet_id: s1, amount: 1 }, { wallet_id: s1, amount: 2 }],
    [{ wallet_id: s1, amount: 1, note: 'unknown field' }],
    [{ wallet_id: s1, amount: 0 }],
    [{ wallet_id: s1, amount: 1.001 }],
    [{ wallet_id: s1, amount: -1 }],
    [],
  ]) {
    const res = await pay(m, buyer, 50, splits);
    expect([res.status, res.body.error.code]).toEqual([422, 'invalid_request']);
  }
  // An authorization (capture: false) checks its sellers as a payment does: refused, nothing held.
  {
    const res = await authorize(m, buyer, 50, [{ wallet_id: s1, amount: 10 }, { wallet_id: s2, amount: 10 }]);
    expect([res.status, res.body.error.code]).toEqual([422, 'wallet_not_active']);
    expect(res.body.error.details).toMatchObject({ wallet_id: s2, status: 'suspended', field: 'splits.1.wallet_id' });
    const shape = await authorize(m, buyer, 50, [{ wallet_id: s1, amount: 51 }]);
    expect([shape.status, shape.body.error.code]).toEqual([422, 'invalid_request']);
    const wallet = await m.get('/wallet/', { env_id: m.envId, user_id: 'buyer' });
    expect(wallet.body.wallets[0]).toMatchObject({ held: 0 });
  }
  expect(await m.balance(buyer)).toBe(before);
  expect(await m.balance(s1)).toBe('0');
});

test('a seller suspended after the route looked is still refused under the lock (the workflow), order failed', async () => {
  const { m, buyer, s1 } = await market('splits-race');
  // The route checks the seller; the activity checks it again under the wallet locks. Start
  // the workflow directly with a suspended seller to reach the activity's own check.
  await m.setStatus('seller-1', s1, 'suspended');
  const { rows } = await ctx.pool.query<{ user_id: string }>('select user_id from wallets where id = $1', [buyer]);
  const handle = await ctx.client.workflow.start('payment', {
    taskQueue: ctx.stack.taskQueue,
    workflowId: `splits-direct-${Date.now()}`,
    args: [{ envId: m.envId, walletId: buyer, userId: rows[0]!.user_id, productId: 'cart', amount: '1000', currency: 'USD', splits: [{ walletId: s1, amount: '500' }] }],
  });
  await expect(handle.result()).rejects.toMatchObject({ cause: { type: 'wallet_not_active' } });
  const order = await ctx.pool.query(`select status, failure_code from orders where workflow_id = $1`, [handle.workflowId]);
  expect(order.rows[0]).toEqual({ status: 'failed', failure_code: 'wallet_not_active' });
  const splits = await ctx.pool.query(`select s.wallet_id::text, s.amount::text from order_splits s join orders o on o.id = s.order_id where o.workflow_id = $1`, [handle.workflowId]);
  expect(splits.rows).toEqual([{ wallet_id: s1, amount: '500' }]);
  expect(await m.balance(buyer)).toBe('100000');
});

test('refunds take back from each seller in proportion (rounded down, revenue the rest); 409 when a seller cannot; from_revenue', async () => {
  const { m, buyer, s1, s2 } = await market('split-refunds');
  const paid = await pay(m, buyer, 100, [{ wallet_id: s1, amount: 60 }, { wallet_id: s2, amount: 30 }]);
  const orderId = paid.body.order.id as string;
  const refund = (body: Record<string, unknown>) => m.post('/wallet/refund/', { env_id: Number(m.envId), order_id: orderId, ...body });

  // 33.33 of 100: seller 1 gives floor(6000 × 3333 / 10000) = 1999, seller 2 floor(3000 × 0.3333) = 999, revenue 335.
  const first = await refund({ amount: 33.33 });
  expect(first.status).toBe(200);
  expect(first.body.refund).toMatchObject({ amount: 33.33, from_revenue: false, splits: [{ wallet_id: s1, amount: 19.99 }, { wallet_id: s2, amount: 9.99 }] });
  expect(await legs(first.body.refund.id)).toEqual({ [buyer]: '3333', [s1]: '-1999', [s2]: '-999', revenue: '-335' });
  const [event] = await events(m, 'refund.completed');
  expect(event!.data).toMatchObject({ from_revenue: false, splits: [{ wallet_id: s1, amount: 19.99 }, { wallet_id: s2, amount: 9.99 }] });
  recordHistory('refund-splits', first.headers['workflow-id'] as string);

  // Seller 1 spends its money: the next refund cannot take its share back.
  await m.post('/wallet/transfer/', { env_id: Number(m.envId), user_id: 'seller-1', wallet_id: Number(s1), to_wallet_id: Number(buyer), amount: 40 });
  const buyerBefore = await m.balance(buyer);
  const refused = await refund({ amount: 50 });
  expect(refused.status).toBe(409);
  expect(refused.body.error).toMatchObject({ code: 'seller_insufficient_funds', details: { wallet_id: s1, share_minor: '3000' } });
  expect(await m.balance(buyer)).toBe(buyerBefore);

  // from_revenue: the sellers keep their money, revenue gives it all.
  const covered = await refund({ amount: 50, from_revenue: true });
  expect(covered.status).toBe(200);
  expect(covered.body.refund).toMatchObject({ from_revenue: true, splits: [] });
  expect(await legs(covered.body.refund.id)).toEqual({ [buyer]: '5000', revenue: '-5000' });

  // The rest (16.67) from the sellers again, cumulatively: each gives its share of 83.33 → 100 %.
  await m.topup('seller-1', s1, 40);
  const rest = await refund({});
  expect(rest.status).toBe(200);
  expect(rest.body.order).toMatchObject({ status: 'refunded', refunded_amount: 100 });
  // seller 1: floor(6000 × 10000/10000) − floor(6000 × 8333/10000) = 6000 − 4999 = 1001; seller 2: 3000 − 2499 = 501.
  expect(await legs(rest.body.refund.id)).toEqual({ [buyer]: '1667', [s1]: '-1001', [s2]: '-501', revenue: '-165' });
});

test('fee schedules: PUT replaces, GET shows, bad input is 422 and changes nothing', async () => {
  const { m } = await market('fee-schedule');
  const put = (body: Record<string, unknown>) => m.put(`/environments/${m.envId}/fees/`, body);
  const res = await put({ transfer: { percent: '1.5', fixed: 0.25, min: 0.25, max: 10.0 }, payment: { percent: '2.9', fixed: '0.30' } });
  expect(res.status).toBe(200);
  const expected = {
    env_id: m.envId,
    currency: 'USD',
    transfer: { percent: '1.5', fixed: 0.25, min: 0.25, max: 10 },
    withdraw: null,
    payment: { percent: '2.9', fixed: 0.3, min: 0, max: null },
    rounding: expect.stringContaining('half-up'),
  };
  expect(res.body).toEqual(expected);
  expect((await m.get(`/environments/${m.envId}/fees/`)).body).toEqual(expected);
  expect((await m.get(`/environments/${m.envId}/fees/`, { currency: 'EUR' })).body).toMatchObject({ currency: 'EUR', transfer: null, payment: null });

  for (const [body, field] of [
    [{ transfer: { percent: 'abc' } }, 'transfer.percent'],
    [{ transfer: { percent: '-1' } }, 'transfer.percent'],
    [{ transfer: { percent: '100.5' } }, 'transfer.percent'],
    [{ transfer: { percent: '1.23456' } }, 'transfer.percent'],
    [{ transfer: { fixed: -1 } }, 'transfer.fixed'],
    [{ withdraw: { min: '-0.25' } }, 'withdraw.min'],
    [{ payment: { fixed: 0.001 } }, 'payment.fixed'],
    [{ transfer: { min: 5, max: 1 } }, 'transfer.min'],
    [{ transfer: { percent: '1', surprise: 1 } }, 'transfer'],
  ] as const) {
    const bad = await put(body);
    expect([JSON.stringify(body), bad.status, bad.body.error?.code]).toEqual([JSON.stringify(body), 422, 'invalid_request']);
    expect(JSON.stringify(bad.body.error)).toContain(field);
  }
  expect((await m.get(`/environments/${m.envId}/fees/`)).body).toEqual(expected);

  // Another environment's schedule: 403.
  const other = merchant(ctx, await newEnvironment(ctx.pool, 'fee-other'));
  expect((await other.get(`/environments/${m.envId}/fees/`)).status).toBe(403);
  // Replacing: a kind left out has no fee any more.
  expect((await put({ withdraw: { fixed: 1 } })).body).toMatchObject({ transfer: null, payment: null, withdraw: { percent: '0', fixed: 1 } });
});

test('transfer fee: charged to the sender on top, own leg to fees, in answer, history and event; 422 when amount + fee is not there', async () => {
  const { m, buyer, s1 } = await market('transfer-fees');
  expect((await m.put(`/environments/${m.envId}/fees/`, { transfer: { percent: '1.5', fixed: 0.25, min: 0.3, max: 10 } })).status).toBe(200);
  const transfer = (amount: number, key?: string) =>
    m.post('/wallet/transfer/', { env_id: Number(m.envId), user_id: 'buyer', wallet_id: Number(buyer), to_wallet_id: Number(s1), amount }, key);

  // 1.5 % of 10.10 = 0.1515 → 0.15 (half-up on the cent), + 0.25 = 0.40.
  const res = await transfer(10.1);
  expect(res.status).toBe(200);
  expect(res.body.transfer).toMatchObject({ amount: 10.1, fee: 0.4 });
  expect(res.body.wallet.balance).toBe(989.5);
  expect(await legs(res.body.transfer.id)).toEqual({ [buyer]: '-1050', [s1]: '1010', fees: '40' });
  const history = await m.get(`/wallet/${buyer}/transactions/`, { env_id: m.envId, user_id: 'buyer' });
  expect(history.body.transactions[0]).toMatchObject({ type: 'transfer', amount: -10.5, fee: 0.4 });
  const received = await m.get(`/wallet/${s1}/transactions/`, { env_id: m.envId, user_id: 'seller-1' });
  expect(received.body.transactions[0]).toMatchObject({ type: 'transfer', amount: 10.1, fee: 0 });
  const [event] = await events(m, 'transfer.completed');
  expect(event!.data).toMatchObject({ amount: 10.1, fee: 0.4 });
  recordHistory('transfer-fee', res.headers['workflow-id'] as string);

  // 1.5 % of 0.10 → 0.00 + 0.25 = 0.25 → min 0.30. 1.5 % of 980 = 14.70 + 0.25 → max 10.00.
  expect((await transfer(0.1)).body.transfer.fee).toBe(0.3);
  // Balance now 989.50 − 0.40 = 989.10: 980 + 10 (max) is more than that.
  const before = await m.balance(buyer);
  const short = await transfer(980);
  expect(short.status).toBe(422);
  expect(short.body.error).toMatchObject({ code: 'insufficient_funds', details: { wallet_id: buyer, required_minor: '99000' } });
  expect(await m.balance(buyer)).toBe(before);
  const capped = await transfer(979.1);
  expect(capped.status).toBe(200);
  expect(capped.body.transfer.fee).toBe(10);
  expect(capped.body.wallet.balance).toBe(0);

  // An idempotent replay answers the same fee even after the schedule changed.
  await m.topup('buyer', buyer, 100);
  const keyed = await transfer(20, 'fee-key-1');
  await m.put(`/environments/${m.envId}/fees/`, {});
  const replayed = await transfer(20, 'fee-key-1');
  expect(replayed.body.transfer).toEqual(keyed.body.transfer);
  expect((await transfer(20)).body.transfer.fee).toBe(0);
});

test('payment fee: from the sellers\' splits in proportion, or from revenue without splits', async () => {
  const { m, buyer, s1, s2 } = await market('payment-fees');
  expect((await m.put(`/environments/${m.envId}/fees/`, { payment: { percent: '2.9', fixed: 0.3 } })).status).toBe(200);

  // 2.9 % of 100 + 0.30 = 3.20, over 60 : 30 → 2.1333 / 1.0666: floors 2.13 / 1.06, the cent left to the larger remainder (seller 2).
  const split = await pay(m, buyer, 100, [{ wallet_id: s1, amount: 60 }, { wallet_id: s2, amount: 30 }]);
  expect(split.status).toBe(200);
  expect(split.body.order).toMatchObject({ fee: 3.2, splits: [{ wallet_id: s1, amount: 60, fee: 2.13 }, { wallet_id: s2, amount: 30, fee: 1.07 }] });
  expect(await legs(split.body.order.transaction_id)).toEqual({ [buyer]: '-10000', [s1]: '5787', [s2]: '2893', revenue: '1000', fees: '320' });
  const sellerHistory = await m.get(`/wallet/${s1}/transactions/`, { env_id: m.envId, user_id: 'seller-1' });
  expect(sellerHistory.body.transactions[0]).toMatchObject({ type: 'payment', amount: 57.87, fee: 2.13 });
  const buyerHistory = await m.get(`/wallet/${buyer}/transactions/`, { env_id: m.envId, user_id: 'buyer' });
  expect(buyerHistory.body.transactions[0]).toMatchObject({ type: 'payment', amount: -100, fee: 0 });
  recordHistory('payment-splits-fee', split.headers['workflow-id'] as string);

  // No splits: the fee is the platform's income, taken from revenue. 2.9 % of 10 = 0.29 + 0.30.
  const plain = await pay(m, buyer, 10);
  expect(plain.body.order).toMatchObject({ fee: 0.59, splits: [] });
  expect(await legs(plain.body.order.transaction_id)).toEqual({ [buyer]: '-1000', revenue: '941', fees: '59' });
  const completed = await events(m, 'payment.completed');
  expect(completed.map((e) => e.data.order.fee).sort()).toEqual([0.59, 3.2]);

  // A fee larger than the sellers' parts together is refused (nothing moves, order failed).
  const before = await m.balance(buyer);
  const tiny = await pay(m, buyer, 100, [{ wallet_id: s1, amount: 1 }]);
  expect(tiny.status).toBe(422);
  expect(tiny.body.error).toMatchObject({ code: 'invalid_request', details: { field: 'splits', fee_minor: '320' } });
  expect(await m.balance(buyer)).toBe(before);

  // A refund of a paid-with-fee split payment: sellers give back in proportion to what they kept.
  const refunded = await m.post('/wallet/refund/', { env_id: Number(m.envId), order_id: split.body.order.id });
  expect(refunded.status).toBe(200);
  expect(await legs(refunded.body.refund.id)).toEqual({ [buyer]: '10000', [s1]: '-5787', [s2]: '-2893', revenue: '-1320' });
});

test('withdrawal fee: charged with the hold on top of the amount, in the answer and history; a cancel gives it back', async () => {
  const { m, buyer } = await market('withdraw-fees');
  expect((await m.put(`/environments/${m.envId}/fees/`, { withdraw: { percent: '1', fixed: 0.5 } })).status).toBe(200);
  const withdraw = (amount: number) => m.post('/wallet/withdraw/', { env_id: Number(m.envId), user_id: 'buyer', wallet_id: Number(buyer), amount });

  const tooMuch = await withdraw(995); // 995 + 9.95 + 0.50 > 1000
  expect(tooMuch.status).toBe(422);
  expect(tooMuch.body.error.code).toBe('insufficient_funds');

  const res = await withdraw(100);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ status: 'awaiting_onboarding', fee: 1.5 });
  const got = await m.get(`/wallet/withdrawals/${res.body.withdrawal_id}/`, { env_id: m.envId });
  expect(got.body).toMatchObject({ amount: 100, fee: 1.5 });
  const wallet = await m.get('/wallet/', { env_id: m.envId, user_id: 'buyer' });
  expect(wallet.body.wallets[0]).toMatchObject({ balance: 898.5, held: 100 });
  const history = await m.get(`/wallet/${buyer}/transactions/`, { env_id: m.envId, user_id: 'buyer' });
  expect(history.body.transactions[0]).toMatchObject({ type: 'hold', amount: -101.5, fee: 1.5 });

  const canceled = await m.post(`/wallet/withdrawals/${res.body.withdrawal_id}/cancel/`, { env_id: Number(m.envId) });
  expect(canceled.status).toBe(200);
  expect(canceled.body).toMatchObject({ status: 'canceled', fee: 1.5 });
  expect(await m.balance(buyer)).toBe('100000');
  const after = await m.get(`/wallet/${buyer}/transactions/`, { env_id: m.envId, user_id: 'buyer' });
  expect(after.body.transactions[0]).toMatchObject({ type: 'release', amount: 101.5, fee: -1.5 });
  const [event] = await events(m, 'withdrawal.failed');
  expect(event!.data.withdrawal).toMatchObject({ status: 'canceled', fee: 1.5 });
});

describe('splits with authorize and capture', () => {
  test('full capture pays each seller its part, fee from the sellers in proportion, one ledger transaction', async () => {
    const { m, buyer, s1, s2 } = await market('split-capture-full');
    expect((await m.put(`/environments/${m.envId}/fees/`, { payment: { percent: '2.9', fixed: 0.3 } })).status).toBe(200);
    const auth = await authorize(m, buyer, 100, [{ wallet_id: s1, amount: 60 }, { wallet_id: s2, amount: 30 }]);
    expect(auth.status).toBe(200);
    expect(auth.body.order).toMatchObject({ status: 'authorized', amount: 100, captured_amount: 0, fee: 0, splits: [{ wallet_id: s1, amount: 60, fee: 0 }, { wallet_id: s2, amount: 30, fee: 0 }] });
    expect(auth.body.wallet).toMatchObject({ balance: 900, held: 100 });
    // Nothing reaches the sellers while the money is held.
    expect([await m.balance(s1), await m.balance(s2)]).toEqual(['0', '0']);

    const captured = await capture(m, auth.body.order.id);
    expect(captured.status).toBe(200);
    // As the immediate split payment with the same fee (test 'payment fee'): 3.20 over 60 : 30.
    expect(captured.body.order).toMatchObject({ status: 'completed', captured_amount: 100, fee: 3.2, splits: [{ wallet_id: s1, amount: 60, fee: 2.13 }, { wallet_id: s2, amount: 30, fee: 1.07 }] });
    expect(captured.body.wallet).toMatchObject({ balance: 900, held: 0 });
    expect(await legs(captured.body.order.transaction_id)).toEqual({ in_flight: '-10000', [s1]: '5787', [s2]: '2893', revenue: '1000', fees: '320' });
    expect([await m.balance(buyer), await m.balance(s1), await m.balance(s2)]).toEqual(['90000', '5787', '2893']);
    const [event] = await events(m, 'payment.captured');
    expect(event!.data.order).toMatchObject({ fee: 3.2, splits: [{ wallet_id: s1, fee: 2.13 }, { wallet_id: s2, fee: 1.07 }] });
    recordHistory('payment-authorized-captured-splits', auth.headers['workflow-id'] as string);

    // A full refund takes back what each seller kept, revenue the rest (its 10 + the fee).
    const refunded = await m.post('/wallet/refund/', { env_id: Number(m.envId), order_id: auth.body.order.id });
    expect(refunded.status).toBe(200);
    expect(await legs(refunded.body.refund.id)).toEqual({ [buyer]: '10000', [s1]: '-5787', [s2]: '-2893', revenue: '-1320' });
  });

  test('partial capture scales each part by captured / authorized, rounded down; revenue gets the remainder; refunds use what was captured', async () => {
    const { m, buyer, s1, s2 } = await market('split-capture-partial');
    const s3 = await m.wallet('seller-3');
    const auth = await authorize(m, buyer, 100, [{ wallet_id: s1, amount: 33.33 }, { wallet_id: s2, amount: 33.33 }, { wallet_id: s3, amount: 33.34 }]);
    expect(auth.status).toBe(200);
    // 77.77 of 100.00: 3333 × 7777 / 10000 = 2592.0741 → 2592 (twice); 3334 × 0.7777 = 2592.8518 → 2592; revenue 7777 − 7776 = 1.
    const captured = await capture(m, auth.body.order.id, 77.77);
    expect(captured.status).toBe(200);
    expect(captured.body.order).toMatchObject({ status: 'completed', amount: 100, captured_amount: 77.77, fee: 0 });
    expect(captured.body.wallet).toMatchObject({ balance: 922.23, held: 0 });
    expect(await legs(captured.body.order.transaction_id)).toEqual({ in_flight: '-7777', [s1]: '2592', [s2]: '2592', [s3]: '2592', revenue: '1' });
    expect([await m.balance(s1), await m.balance(s2), await m.balance(s3)]).toEqual(['2592', '2592', '2592']);

    // A refund of 50 of the 77.77 captured: each seller gives floor(2592 × 5000 / 7777) = 1666, revenue 2.
    const refund = (body: Record<string, unknown>) => m.post('/wallet/refund/', { env_id: Number(m.envId), order_id: auth.body.order.id, ...body });
    const half = await refund({ amount: 50 });
    expect(half.status).toBe(200);
    expect(await legs(half.body.refund.id)).toEqual({ [buyer]: '5000', [s1]: '-1666', [s2]: '-1666', [s3]: '-1666', revenue: '-2' });
    // The rest: cumulatively the sellers give back exactly what they got, revenue its 1.
    const rest = await refund({});
    expect(rest.status).toBe(200);
    expect(rest.body.order).toMatchObject({ status: 'refunded', refunded_amount: 77.77 });
    expect(await legs(rest.body.refund.id)).toEqual({ [buyer]: '2777', [s1]: '-926', [s2]: '-926', [s3]: '-926', revenue: '1' });
    expect([await m.balance(buyer), await m.balance(s1), await m.balance(s2), await m.balance(s3)]).toEqual(['100000', '0', '0', '0']);
  });

  test('a void moves nothing to the sellers', async () => {
    const { m, buyer, s1, s2 } = await market('split-void');
    const auth = await authorize(m, buyer, 40, [{ wallet_id: s1, amount: 20 }, { wallet_id: s2, amount: 10 }]);
    expect(auth.status).toBe(200);
    const voided = await m.post(`/wallet/orders/${auth.body.order.id}/void/`, { env_id: Number(m.envId) });
    expect(voided.status).toBe(200);
    expect(voided.body.order).toMatchObject({ status: 'voided', captured_amount: 0, fee: 0 });
    expect(voided.body.wallet).toMatchObject({ balance: 1000, held: 0 });
    expect([await m.balance(s1), await m.balance(s2)]).toEqual(['0', '0']);
    const { rows } = await ctx.pool.query(
      `select count(*)::int as n from ledger_postings p join ledger_transactions t on t.id = p.transaction_id
       where t.reference = $1 and p.wallet_id in ($2, $3)`,
      [`order:${auth.body.order.id}`, s1, s2],
    );
    expect(rows[0]).toEqual({ n: 0 });
  });

  test('a seller suspended since the authorization refuses the capture (422 naming it), the hold is kept; captured once active again', async () => {
    const { m, buyer, s1, s2 } = await market('split-capture-suspended');
    const auth = await authorize(m, buyer, 50, [{ wallet_id: s1, amount: 20 }, { wallet_id: s2, amount: 20 }]);
    expect(auth.status).toBe(200);
    await m.setStatus('seller-2', s2, 'suspended');
    const refused = await capture(m, auth.body.order.id, 25);
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'wallet_not_active', details: { wallet_id: s2, status: 'suspended', field: 'splits.1.wallet_id' } });
    const order = await ctx.pool.query('select status, captured_amount::text, transaction_id from orders where id = $1', [auth.body.order.id]);
    expect(order.rows[0]).toEqual({ status: 'authorized', captured_amount: '0', transaction_id: null });
    const wallet = await m.get('/wallet/', { env_id: m.envId, user_id: 'buyer' });
    expect(wallet.body.wallets[0]).toMatchObject({ balance: 950, held: 50 });
    expect([await m.balance(s1), await m.balance(s2)]).toEqual(['0', '0']);

    await m.setStatus('seller-2', s2, 'active');
    const captured = await capture(m, auth.body.order.id, 25);
    expect(captured.status).toBe(200);
    // 25 of 50: each part halves (10 each), revenue 5.
    expect(await legs(captured.body.order.transaction_id)).toEqual({ in_flight: '-2500', [s1]: '1000', [s2]: '1000', revenue: '500' });
  });
});
