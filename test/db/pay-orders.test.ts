/**
 * payOrders (PAYMENT_COALESCE's one posting transaction per batch) against the real
 * Postgres: payments decided in order, a refusal fails only its own payment (its order
 * recorded failed), and running the same batch again (an activity retry after a lost
 * commit) answers the same and posts nothing twice.
 */
import { createTopupPaymentActivities, type BatchPayment } from '../../src/activities/topup-payment';
import { postTransaction } from '../../src/db/ledger';
import { createPool, withTransaction, type Pool } from '../../src/db/pool';
import { createWallet } from '../../src/db/queries/wallets';
import { expectLedgerExact, newEnvironment, readStack } from '../helpers/stack';

let pool: Pool;
let envId: string;
beforeAll(async () => {
  pool = createPool(readStack().databaseUrl, 4);
  ({ envId } = await newEnvironment(pool, 'pay-orders-test'));
});
afterAll(async () => {
  await expectLedgerExact(pool);
  await pool.end();
});

test('a batch: decided in order, a refusal alone, a data error alone; the same batch again posts nothing twice', async () => {
  const wallet = (await createWallet(pool, envId, 'pay-orders-user', 'USD')).wallet;
  await withTransaction(pool, (client) =>
    postTransaction(client, {
      idempotencyId: `pay-orders-topup-${wallet.id}`,
      envId,
      currency: 'USD',
      type: 'topup',
      amount: 1000n,
      legs: [
        { account: 'wallet', walletId: wallet.id, amount: 1000n },
        { account: 'funding', amount: -1000n },
      ],
      requireActive: true,
    }),
  );
  const pay = (n: number, amount: string, productId = `p${n}`): BatchPayment => ({
    workflowId: `payment-${envId}-batch-${wallet.id}-${n}`,
    idempotencyId: `payment-${envId}-batch-${wallet.id}-${n}:charge`,
    envId,
    walletId: wallet.id,
    userId: 'pay-orders-user',
    productId,
    amount,
    currency: 'USD',
  });
  // 600 fits, 600 more does not (refused), 300 fits after it, a NUL in the product is a data error, 100 fits.
  const batch = [pay(1, '600'), pay(2, '600'), pay(3, '300'), pay(4, '50', 'a\u0000b'), pay(5, '100')];
  const ledger = createTopupPaymentActivities({ pool });
  const first = await ledger.payOrders({ payments: batch });
  expect(first.map((o) => (o.ok ? `ok:${o.result.wallet.balance}` : o.type))).toEqual(['ok:400', 'insufficient_funds', 'ok:100', 'database_error', 'ok:0']);
  const orders = async () =>
    (
      await pool.query(`select workflow_id, status, failure_code, transaction_id is not null as posted from orders where wallet_id = $1 order by workflow_id`, [wallet.id])
    ).rows.map((r) => `${r.workflow_id.split('-').pop()}:${r.status}:${r.failure_code ?? ''}:${r.posted}`);
  expect(await orders()).toEqual(['1:completed::true', '2:failed:insufficient_funds:false', '3:completed::true', '5:completed::true']);
  const balance = async () => (await pool.query('select balance::text from wallets where id = $1', [wallet.id])).rows[0].balance;
  expect(await balance()).toBe('0');
  // The same batch again (a retry after a lost commit): the same answers, nothing posted twice.
  const again = await ledger.payOrders({ payments: batch });
  expect(again.map((o) => (o.ok ? `ok:${o.result.order.id}` : o.type))).toEqual(
    first.map((o) => (o.ok ? `ok:${o.result.order.id}` : o.type)),
  );
  expect(await balance()).toBe('0');
  expect(await orders()).toEqual(['1:completed::true', '2:failed:insufficient_funds:false', '3:completed::true', '5:completed::true']);
  const events = await pool.query(`select type, count(*)::int as n from webhook_events where env_id = $1 and type like 'payment.%' group by type order by type`, [envId]);
  expect(events.rows).toEqual([
    { type: 'payment.completed', n: 3 },
    { type: 'payment.failed', n: 1 },
  ]);
});

test('payOrder run again after the workflow recorded its refusal answers the same refusal, not a conflict', async () => {
  // A workflow task that outlives its timeout runs its local activities again: payOrder
  // then finds the order its first run's refusal left failed (createOrder + failOrder).
  const wallet = (await createWallet(pool, envId, 'pay-order-again-user', 'USD')).wallet;
  const ledger = createTopupPaymentActivities({ pool });
  const workflowId = `payment-${envId}-again-${wallet.id}`;
  const input = { workflowId, idempotencyId: `${workflowId}:charge`, envId, walletId: wallet.id, userId: 'pay-order-again-user', productId: 'p', amount: '500', currency: 'USD' as const };
  await expect(ledger.payOrder(input)).rejects.toMatchObject({ code: 'insufficient_funds' });
  const order = await ledger.createOrder(input);
  const { failOrder } = await import('../../src/db/queries/orders');
  await failOrder(pool, order.id, 'insufficient_funds');
  await expect(ledger.payOrder(input)).rejects.toMatchObject({ code: 'insufficient_funds', details: { order_id: order.id } });
  // An order failed for another reason (internal) stays a conflict: there is no refusal to repeat.
  const other = { ...input, workflowId: `${workflowId}-b`, idempotencyId: `${workflowId}-b:charge` };
  const failed = await ledger.createOrder(other);
  await failOrder(pool, failed.id, 'internal');
  await expect(ledger.payOrder(other)).rejects.toMatchObject({ code: 'conflict' });
  const rows = await pool.query(`select status, failure_code from orders where wallet_id = $1 order by id`, [wallet.id]);
  expect(rows.rows).toEqual([
    { status: 'failed', failure_code: 'insufficient_funds' },
    { status: 'failed', failure_code: 'internal' },
  ]);
});

test('batches across wallets: decided in wallet id order, answered in input order; two batches naming the same wallets in opposite orders do not deadlock', async () => {
  const wallets: Awaited<ReturnType<typeof createWallet>>['wallet'][] = [];
  for (let i = 0; i < 6; i++) {
    const w = (await createWallet(pool, envId, `pay-orders-cross-${i}`, 'USD')).wallet;
    await withTransaction(pool, (client) =>
      postTransaction(client, {
        idempotencyId: `pay-orders-cross-topup-${w.id}`,
        envId,
        currency: 'USD',
        type: 'topup',
        amount: 1000n,
        legs: [
          { account: 'wallet', walletId: w.id, amount: 1000n },
          { account: 'funding', amount: -1000n },
        ],
        requireActive: true,
      }),
    );
    wallets.push(w);
  }
  const pay = (tag: string, i: number, amount: string): BatchPayment => ({
    workflowId: `payment-${envId}-cross-${tag}-${wallets[i]!.id}`,
    idempotencyId: `payment-${envId}-cross-${tag}-${wallets[i]!.id}:charge`,
    envId,
    walletId: wallets[i]!.id,
    userId: `pay-orders-cross-${i}`,
    productId: tag,
    amount,
    currency: 'USD',
  });
  const ledger = createTopupPaymentActivities({ pool });
  // Ascending and descending wallet ids, concurrently, many times: locks taken in input order would deadlock (40P01).
  for (let round = 0; round < 10; round++) {
    const up = [0, 1, 2, 3, 4, 5].map((i) => pay(`up${round}`, i, '10'));
    const down = [5, 4, 3, 2, 1, 0].map((i) => pay(`down${round}`, i, i === 2 ? '5000' : '1'));
    const [a, b] = await Promise.all([ledger.payOrders({ payments: up }), ledger.payOrders({ payments: down })]);
    expect(a.map((o) => (o.ok ? o.result.order.walletId : o.type))).toEqual(up.map((p) => p.walletId));
    // Input order kept: the refusal is the fourth item's (wallet 2), not the third wallet id's.
    expect(b.map((o) => (o.ok ? o.result.order.walletId : o.type))).toEqual(down.map((p, i) => (i === 3 ? 'insufficient_funds' : p.walletId)));
  }
  for (const [i, w] of wallets.entries()) {
    const expected = 1000 - 10 * 10 - (i === 2 ? 0 : 10);
    expect((await pool.query('select balance::text from wallets where id = $1', [w.id])).rows[0].balance).toBe(String(expected));
  }
});
