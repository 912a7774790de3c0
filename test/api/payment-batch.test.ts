/**
 * PAYMENT_BATCH (issue 11): concurrent payments of an environment, across wallets, run as
 * ONE paymentBatch workflow. Against the real stack (Postgres, Temporal dev server): a
 * burst batches (the batch is found by the operator's search attributes), every answer is
 * what one workflow per payment answers, a refusal fails only its payment, balances and
 * the ledger are exact, and a retried request — after a batch, alone or in another
 * batch, or in a batch while the payment's own workflow runs — posts nothing twice.
 */
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { paymentBatcherFor, type TemporalDeps } from '../../src/api/temporal';
import { merchant } from '../helpers/api';
import { recordHistory } from '../helpers/record-history';
import { expectLedgerExact, newEnvironment, seedBody, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
let env: { envId: string; secret: string };
let m: ReturnType<typeof merchant>;
/** The same stack without batching: what one workflow per payment answers. */
let solo: ReturnType<typeof createApp>;
let users = 0;

beforeAll(async () => {
  // One run in flight at a time: whatever arrives meanwhile waits for the next batch.
  ctx = await startTestContext({ paymentBatch: { maxSize: 64, maxInFlight: 1 } });
  env = await newEnvironment(ctx.pool, 'payment-batch');
  m = merchant(ctx, env);
  solo = createApp({ pool: ctx.pool, temporal: { client: ctx.client, taskQueue: ctx.stack.taskQueue, searchAttributes: true, syncTimeoutMs: 30_000 } });
});
afterEach(async () => expectLedgerExact(ctx.pool));
afterAll(async () => ctx.close());

/** n funded wallets, made a few at a time (each topup is a workflow: a busy machine must not push 40 past the sync timeout). */
async function newWallets(n: number, amount: number): Promise<{ walletId: string; user: string }[]> {
  const out: { walletId: string; user: string }[] = [];
  while (out.length < n) out.push(...(await Promise.all(Array.from({ length: Math.min(8, n - out.length) }, () => newWallet(amount)))));
  return out;
}

async function newWallet(amount: number): Promise<{ walletId: string; user: string }> {
  const user = `batch-user-${++users}`;
  const walletId = await m.wallet(user);
  await m.topup(user, walletId, amount);
  return { walletId, user };
}

const payBody = (w: { walletId: string; user: string }, amount: number, productId = 'p1') => ({
  env_id: Number(env.envId),
  user_id: w.user,
  wallet_id: Number(w.walletId),
  amount,
  product_id: productId,
});

function postSolo(body: Record<string, unknown>, key?: string) {
  const r = request(solo).post('/wallet/payment/').set({ 'X-Wallet-Signature': env.secret, 'Content-Type': 'application/json' });
  if (key) r.set('Idempotency-Key', key);
  return r.send(seedBody(body));
}

/** The paymentBatch workflows that ran a payment, as an operator finds them. */
async function batchesOf(paymentId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of ctx.client.workflow.list({ query: `PaynocchioPaymentIds = "${paymentId}"` })) ids.push(wf.workflowId);
  return ids;
}

async function postingsOf(walletId: string): Promise<number> {
  return Number((await ctx.pool.query('select count(*) from ledger_postings where wallet_id = $1', [walletId])).rows[0].count);
}

/** An answer with what differs between two payments (ids, times, the wallet) masked. */
function shape(body: unknown): unknown {
  return JSON.parse(
    JSON.stringify(body)
      .replace(/"transaction_id":"\d+"/g, '"transaction_id":"<id>"')
      .replace(/"\d{9,}"/g, '"<id>"')
      .replace(/\b\d{9,}\b/g, '<id>')
      .replace(/"\d{4}-\d\d-\d\dT[^"]+"/g, '"<time>"')
      .replace(/"batch-user-\d+"/g, '"<user>"'),
  );
}

test('a burst across 40 wallets batches: each answer as one workflow per payment answers it, a refusal fails only its own, ledger exact', async () => {
  const wallets = await newWallets(40, 100);
  // Wallet 7 pays more than it holds: insufficient_funds, its payment alone.
  const amounts = wallets.map((_, i) => (i === 7 ? 150 : 10 + i));
  const answers = await Promise.all(wallets.map((w, i) => m.post('/wallet/payment/', payBody(w, amounts[i]!, `burst-${i}`))));

  answers.forEach((r, i) => {
    if (i === 7) {
      expect(r.status).toBe(422);
      expect(r.body.error.code).toBe('insufficient_funds');
      return;
    }
    expect(r.status).toBe(200);
    expect(r.body.order).toMatchObject({ status: 'completed', amount: amounts[i], product_id: `burst-${i}`, wallet_id: wallets[i]!.walletId });
    expect(r.body.wallet).toMatchObject({ id: wallets[i]!.walletId, balance: 100 - amounts[i]! });
    expect(r.body.wallets).toEqual([r.body.wallet]);
  });
  // Balances exact: each wallet moved once by its own amount, wallet 7 not at all.
  for (const [i, w] of wallets.entries()) expect(await m.balance(w.walletId)).toBe(String((i === 7 ? 100 : 100 - amounts[i]!) * 100));

  // Each answer's Workflow-Id is its payment's id: the order's workflow id and its posting's idempotency id.
  const ids = answers.filter((_, i) => i !== 7).map((r) => r.headers['workflow-id'] as string);
  expect(new Set(ids).size).toBe(39);
  const { rows } = await ctx.pool.query(
    `select o.workflow_id, t.idempotency_id from orders o join ledger_transactions t on t.id = o.transaction_id
      where o.workflow_id = any($1) and o.status = 'completed'`,
    [ids],
  );
  expect(rows).toHaveLength(39);
  for (const row of rows) expect(row.idempotency_id).toBe(`${row.workflow_id}:charge`);
  // The refusal's order is recorded failed, as one workflow per payment leaves it.
  const refusedOrders = await ctx.pool.query(`select workflow_id, status, failure_code from orders where wallet_id = $1`, [wallets[7]!.walletId]);
  expect(refusedOrders.rows).toEqual([{ workflow_id: expect.stringMatching(new RegExp(`^payment-${env.envId}-`)), status: 'failed', failure_code: 'insufficient_funds' }]);
  const refusedId = refusedOrders.rows[0].workflow_id as string;

  // It batched: paymentBatch workflows ran most of the burst, found by the operator's queries.
  const batched = (await Promise.all(ids.map(batchesOf))).filter((b) => b.length > 0);
  expect(batched.length).toBeGreaterThanOrEqual(20);
  const batchId = batched[0]![0]!;
  expect(batchId).toMatch(new RegExp(`^payment-batch-${env.envId}-`));
  const described = await ctx.client.workflow.getHandle(batchId).describe();
  expect(described.status.name).toBe('COMPLETED');
  expect(described.searchAttributes).toMatchObject({ PaynocchioEnvId: [env.envId], PaynocchioKind: ['paymentBatch'] });
  expect((described.searchAttributes.PaynocchioWalletIds as string[]).length).toBeGreaterThan(1);
  // The replayed history: a batch holding the refusal when it was batched.
  recordHistory('payment-batch', (await batchesOf(refusedId))[0] ?? batchId);

  // The same answers as one workflow per payment: a solo payment and a solo refusal.
  const w = await newWallet(100);
  const alone = await postSolo(payBody(w, 11, 'burst-1'));
  expect(alone.status).toBe(200);
  expect(shape(answers[1]!.body)).toEqual(shape(alone.body));
  const refused = await postSolo(payBody(await newWallet(100), 150, 'burst-7'));
  expect(refused.status).toBe(422);
  expect(shape(answers[7]!.body)).toEqual(shape(refused.body));
}, 120_000);

test('a retried request after a batched payment answers the same and posts nothing twice, run alone or in another batch', async () => {
  const wallets = await newWallets(12, 100);
  const key = (i: number) => `batch-retry-${env.envId}-${i}`;
  const first = await Promise.all(wallets.map((w, i) => m.post('/wallet/payment/', payBody(w, 5 + i), key(i))));
  for (const r of first) expect(r.status).toBe(200);
  const ids = first.map((r) => r.headers['workflow-id'] as string);
  expect((await Promise.all(ids.map(batchesOf))).filter((b) => b.length > 0).length).toBeGreaterThan(0);
  const before = await Promise.all(wallets.map((w) => postingsOf(w.walletId)));

  // The stored answers purged (as after their retention): each retry runs again.
  await ctx.pool.query('delete from idempotency_keys where env_id = $1 and key like $2', [env.envId, `batch-retry-${env.envId}-%`]);
  // Alone (one at a time: no batch) ...
  const alone = await m.post('/wallet/payment/', payBody(wallets[0]!, 5), key(0));
  expect(alone.status).toBe(200);
  expect(alone.body).toEqual(first[0]!.body);
  expect(alone.headers['workflow-id']).toBe(ids[0]);
  await ctx.pool.query('delete from idempotency_keys where env_id = $1 and key like $2', [env.envId, `batch-retry-${env.envId}-%`]);
  // ... and all at once (batched again).
  const again = await Promise.all(wallets.map((w, i) => m.post('/wallet/payment/', payBody(w, 5 + i), key(i))));
  again.forEach((r, i) => {
    expect(r.status).toBe(200);
    expect(r.body.order).toEqual(first[i]!.body.order);
    expect(r.headers['workflow-id']).toBe(ids[i]);
  });
  expect(await Promise.all(wallets.map((w) => postingsOf(w.walletId)))).toEqual(before);
  for (const [i, w] of wallets.entries()) expect(await m.balance(w.walletId)).toBe(String((100 - 5 - i) * 100));
}, 120_000);

/** A wallet's row locked by another transaction until released: a payment on it waits (its run stays in flight). */
async function lockWallet(walletId: string): Promise<() => Promise<void>> {
  const client = await ctx.pool.connect();
  await client.query('begin');
  await client.query('select 1 from wallets where id = $1 for update', [walletId]);
  return async () => {
    await client.query('commit');
    client.release();
  };
}

async function waitForWorkflow(query: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    for await (const wf of ctx.client.workflow.list({ query })) return wf.workflowId;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no workflow for ${query}`);
}

test("a retry batched while the payment's own workflow runs, and a payment's own workflow after its batch, post once", async () => {
  // Room for one run; four queued payments are a full batch, sent at once.
  const temporal: TemporalDeps = { client: ctx.client, taskQueue: ctx.stack.taskQueue, searchAttributes: true, syncTimeoutMs: 30_000 };
  temporal.paymentBatcher = paymentBatcherFor(temporal, { maxSize: 4, maxInFlight: 1 });
  const small = createApp({ pool: ctx.pool, temporal });
  const post = (body: Record<string, unknown>, key?: string) => {
    const r = request(small).post('/wallet/payment/').set({ 'X-Wallet-Signature': env.secret, 'Content-Type': 'application/json' });
    if (key) r.set('Idempotency-Key', key);
    return r.send(seedBody(body)).then((res) => res); // sent now (supertest sends on then)
  };

  const target = await newWallet(100);
  const others = await newWallets(6, 100);
  const body = payBody(target, 30, 'twin');
  const k = `batch-twin-${env.envId}`;
  // The payment's own workflow runs (and waits on the wallet's lock) ...
  const release = await lockWallet(target.walletId);
  const firstReq = post(body, k);
  await waitForWorkflow(`PaynocchioKind = "payment" AND PaynocchioWalletId = "${target.walletId}"`);
  // ... while its twin (the same request, same key) and three others fill a batch, which starts at once.
  const batchReqs = [post(body, k), ...others.slice(0, 3).map((w, i) => post(payBody(w, 1 + i)))];
  await waitForWorkflow(`PaynocchioKind = "paymentBatch" AND PaynocchioWalletIds = "${target.walletId}"`);
  await release();
  const [first, twin, ...rest] = await Promise.all([firstReq, ...batchReqs]);
  for (const r of [first, twin, ...rest]) expect(r!.status).toBe(200);
  expect(twin!.body.order).toEqual(first!.body.order);
  const paymentId = first!.headers['workflow-id'] as string;
  expect(paymentId).toMatch(new RegExp(`^payment-${env.envId}-key-${k}-[0-9a-f]{16}$`));
  expect(twin!.headers['workflow-id']).toBe(paymentId);
  // Both ran: its own workflow and a batch holding its id.
  expect(await batchesOf(paymentId)).toHaveLength(1);
  await expect(ctx.client.workflow.getHandle(paymentId).describe()).resolves.toMatchObject({ type: 'payment' });
  const orders = await ctx.pool.query('select count(*)::int as n from orders where workflow_id = $1', [paymentId]);
  expect(orders.rows).toEqual([{ n: 1 }]);
  const posted = await ctx.pool.query('select count(*)::int as n from ledger_transactions where idempotency_id = $1', [`${paymentId}:charge`]);
  expect(posted.rows).toEqual([{ n: 1 }]);
  expect(await m.balance(target.walletId)).toBe('7000');

  // The payment's own workflow started after its batch (a retry run alone, the key purged)
  // finds the order and the posting: the same answer, nothing posted.
  const w = await newWallet(100);
  const k2 = `batch-then-own-${env.envId}`;
  const releaseOther = await lockWallet(others[3]!.walletId);
  const blocked = post(payBody(others[3]!, 1));
  await waitForWorkflow(`PaynocchioKind = "payment" AND PaynocchioWalletId = "${others[3]!.walletId}"`);
  const burst = await Promise.all([post(payBody(w, 40), k2), post(payBody(others[0]!, 1)), post(payBody(others[1]!, 1)), post(payBody(others[2]!, 1))]);
  for (const r of burst) expect(r.status).toBe(200);
  await releaseOther();
  expect((await blocked).status).toBe(200);
  const batchedId = burst[0]!.headers['workflow-id'] as string;
  expect(await batchesOf(batchedId)).toHaveLength(1);
  await ctx.pool.query('delete from idempotency_keys where env_id = $1 and key = $2', [env.envId, k2]);
  const own = await postSolo(payBody(w, 40), k2);
  expect(own.status).toBe(200);
  expect(own.body.order).toEqual(burst[0]!.body.order);
  expect(own.headers['workflow-id']).toBe(batchedId);
  await expect(ctx.client.workflow.getHandle(batchedId).describe()).resolves.toMatchObject({ type: 'payment' });
  expect(await m.balance(w.walletId)).toBe('6000');
  expect(await postingsOf(w.walletId)).toBe(2); // the topup and one payment
}, 120_000);
