/**
 * Past one machine: two API processes and two workers against one Temporal and one
 * Postgres — the production topology: the real Temporal server (not the dev server) with
 * its persistence on the run's own Postgres cluster, beside the app's database (the chaos
 * harness's own stack, its horizontal mode). `npm test` builds the server first
 * (scripts/test.sh: install-tools.sh --temporal-server). Before the chaos load,
 * through both APIs at once: concurrent payments on one wallet (exactly as many succeed
 * as the balance allows), the same Idempotency-Key sent to both APIs at once (money moves
 * once), and both workers ran workflow tasks. Then the short chaos run with a worker
 * killed in turn: every 2xx happened once, nothing left running, the ledger is exact.
 */
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { runChaos, type ChaosStack } from '../../scripts/chaos/harness';
import type { ChaosThresholds } from '../../scripts/chaos/verdict';

/** This short run's own thresholds (the full ones are scripts/chaos/verdict.ts's FULL_THRESHOLDS). */
const SMOKE: ChaosThresholds = { minKills: 1, minTemporalRestarts: 0, minPostgresRestarts: 0, minCarriedPerKind: 3, maxUnresolved: 0, maxUnexpected: 0 };

type Answer = { api: number; status: number; body: any; workflowId: string | null; replayed: boolean };

async function post(stack: ChaosStack, api: number, path: string, body: Record<string, unknown>, key?: string): Promise<Answer> {
  const res = await fetch(stack.apiUrls[api]! + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Wallet-Signature': stack.secret, ...(key ? { 'Idempotency-Key': key } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { api, status: res.status, body: parsed, workflowId: res.headers.get('workflow-id'), replayed: res.headers.get('idempotent-replayed') === 'true' };
}

/**
 * The workflow a payment ran in: its own (the Workflow-Id header), or, when it ran in a
 * batch (PAYMENT_BATCH; no workflow of its own exists), the paymentBatch workflow listing
 * it in PaynocchioPaymentIds, as an operator finds it (visibility may lag a moment).
 */
async function ranIn(client: Client, paymentId: string): Promise<string> {
  try {
    await client.workflow.getHandle(paymentId).describe();
    return paymentId;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    for await (const w of client.workflow.list({ query: `PaynocchioPaymentIds = '${paymentId}'` })) return w.workflowId;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`payment ${paymentId}: no workflow of its own and no batch listing it`);
}

/** The worker identities (`pid@host`) that completed workflow tasks of the workflows these payments ran in. */
async function workerIdentities(address: string, paymentIds: string[]): Promise<Set<string>> {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const identities = new Set<string>();
  try {
    const workflowIds = new Set<string>();
    for (const id of paymentIds) workflowIds.add(await ranIn(client, id));
    for (const id of workflowIds) {
      const history = await client.workflow.getHandle(id).fetchHistory();
      for (const e of history.events ?? []) {
        const identity = e.workflowTaskCompletedEventAttributes?.identity;
        if (identity) identities.add(identity);
      }
    }
  } finally {
    await connection.close();
  }
  return identities;
}

/** The checks, as violations (the harness adds them to its report). */
async function throughBothApis(stack: ChaosStack): Promise<string[]> {
  const v: string[] = [];
  const expectThat = (ok: boolean, what: string) => ok || v.push(what);
  expectThat(stack.apiUrls.length === 2, `expected 2 APIs, got ${stack.apiUrls.length}`);
  const balance = async (walletId: string) =>
    (await stack.pool.query<{ balance: string }>(`select balance::text from wallets where id = $1`, [walletId])).rows[0]!.balance;

  // 1. 50 concurrent payments of 30.00 on a wallet holding 500.00, alternating between the
  //    APIs: 16 succeed, 34 are refused with insufficient_funds, 20.00 is left.
  const racer = stack.wallets[0]!;
  expectThat((await balance(racer.id)) === '50000', `racer wallet opened with ${await balance(racer.id)}, not 50000`);
  const payments = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      post(stack, i % 2, '/wallet/payment/', { env_id: stack.envId, user_id: racer.userId, wallet_id: racer.id, amount: '30.00', product_id: `race-${i}` }),
    ),
  );
  const ok = payments.filter((p) => p.status === 200);
  const refused = payments.filter((p) => p.status === 422 && p.body?.error?.code === 'insufficient_funds');
  expectThat(ok.length === 16, `concurrent payments: ${ok.length} succeeded, not 16 (statuses ${payments.map((p) => p.status).join(',')})`);
  // On a loaded machine a payment may outlast the API's bounded wait: 503 "still running"
  // is an honest answer, and the orders below show how it ended. Anything else is wrong.
  const stillRunning = payments.filter((p) => p.status === 503);
  expectThat(refused.length + stillRunning.length === 34 && refused.length > 0, `concurrent payments: ${refused.length} refused with insufficient_funds and ${stillRunning.length} still running, not 34 (others: ${JSON.stringify(payments.filter((p) => p.status !== 200 && p.status !== 503 && p.body?.error?.code !== 'insufficient_funds').map((p) => [p.status, p.body?.error]))})`);
  expectThat(new Set(ok.map((p) => p.api)).size === 2, 'concurrent payments: not both APIs answered a success');
  expectThat((await balance(racer.id)) === '2000', `racer balance ${await balance(racer.id)}, not 2000 (20.00)`);
  const orders = await stack.pool.query<{ status: string; n: number }>(
    `select status, count(*)::int as n from orders where wallet_id = $1 group by status order by status`,
    [racer.id],
  );
  expectThat(JSON.stringify(orders.rows) === JSON.stringify([{ status: 'completed', n: 16 }, { status: 'failed', n: 34 }]), `racer orders ${JSON.stringify(orders.rows)}`);

  // 2. The same Idempotency-Key sent to both APIs at once (10 each): one workflow, one
  //    order, money moved once; a later retry to either API gets the same answer.
  const retrier = stack.wallets[1]!;
  const body = { env_id: stack.envId, user_id: retrier.userId, wallet_id: retrier.id, amount: '12.34', product_id: 'once' };
  const key = `horizontal-pay-${Date.now()}`;
  const twins = await Promise.all(Array.from({ length: 20 }, (_, i) => post(stack, i % 2, '/wallet/payment/', body, key)));
  expectThat(twins.every((t) => t.status === 200), `same key: statuses ${twins.map((t) => t.status).join(',')}`);
  expectThat(new Set(twins.map((t) => t.body?.order?.id)).size === 1, `same key: ${new Set(twins.map((t) => t.body?.order?.id)).size} order ids`);
  expectThat(new Set(twins.map((t) => t.workflowId)).size === 1, 'same key: more than one Workflow-Id');
  for (const api of [0, 1]) {
    const later = await post(stack, api, '/wallet/payment/', body, key);
    expectThat(later.status === 200 && later.replayed && later.body?.order?.id === twins[0]!.body?.order?.id, `same key, later retry to API ${api + 1}: ${later.status} replayed=${later.replayed}`);
  }
  expectThat((await balance(retrier.id)) === '48766', `retrier balance ${await balance(retrier.id)}, not 48766`);
  const retrierOrders = await stack.pool.query(`select count(*)::int as n from orders where wallet_id = $1`, [retrier.id]);
  expectThat(retrierOrders.rows[0].n === 1, `same key: ${retrierOrders.rows[0].n} orders`);
  const charges = await stack.pool.query(`select count(*)::int as n from ledger_transactions where idempotency_id = $1`, [`${twins[0]!.workflowId}:charge`]);
  expectThat(charges.rows[0].n === 1, `same key: ${charges.rows[0].n} charge transactions`);

  // Same for a topup (the funding float's counter is the other hot row).
  const topupKey = `horizontal-topup-${Date.now()}`;
  const topupBody = { env_id: stack.envId, user_id: retrier.userId, wallet_id: retrier.id, amount: '7.00' };
  const topups = await Promise.all(Array.from({ length: 20 }, (_, i) => post(stack, i % 2, '/wallet/topup/', topupBody, topupKey)));
  expectThat(topups.every((t) => t.status === 200), `same topup key: statuses ${topups.map((t) => t.status).join(',')}`);
  expectThat(new Set(topups.map((t) => t.body?.transaction_id)).size === 1, 'same topup key: more than one transaction id');
  expectThat(topups.filter((t) => !t.replayed).length === 1, `same topup key: ${topups.filter((t) => !t.replayed).length} answers not marked replayed`);
  expectThat((await balance(retrier.id)) === '49466', `retrier balance after the topup ${await balance(retrier.id)}, not 49466`);

  // 3. Both workers took part: the payments' workflow tasks were completed by two identities.
  //    Concurrent payments run as a few batches (PAYMENT_BATCH), too few workflows to be sure
  //    both workers drew one; 16 more, one at a time through both APIs (each its own
  //    workflow), make a single-worker outcome a 1-in-30,000 chance.
  const alone: Answer[] = [];
  const third = stack.wallets[2]!;
  for (let i = 0; i < 16; i++) {
    alone.push(await post(stack, i % 2, '/wallet/payment/', { env_id: stack.envId, user_id: third.userId, wallet_id: third.id, amount: '1.00', product_id: `alone-${i}` }));
  }
  expectThat(alone.every((p) => p.status === 200), `payments one at a time: statuses ${alone.map((p) => p.status).join(',')}`);
  const ids = [...new Set([...payments, ...alone].map((p) => p.workflowId).filter((id): id is string => Boolean(id)))];
  const identities = await workerIdentities(stack.temporalAddress, ids);
  expectThat(identities.size === 2, `workflow tasks completed by ${identities.size} worker identities (${[...identities].join(', ')}), not 2`);
  return v;
}

test('two APIs and two workers on one real Temporal server (Postgres persistence) and one Postgres: concurrent payments, one key through both APIs, a worker killed in turn — exactly once, ledger exact', async () => {
  const report = await runChaos({
    apis: 2,
    workers: 2,
    temporal: 'postgres',
    wallets: 50,
    durationMs: 60_000,
    stopWhenMet: true,
    maxRequests: 400,
    concurrency: 6,
    killEveryMs: 3_000,
    minWorkerUpMs: 1_500,
    restartTemporal: false,
    restartPostgres: false,
    verbose: process.env.PAYNOCCHIO_TEST_VERBOSE === '1',
    beforeLoad: throughBothApis,
    thresholds: SMOKE,
  });
  expect(report.violations).toEqual([]);
  expect(report.failures).toEqual([]);
  expect(report.passed).toBe(true);
}, 360_000);
