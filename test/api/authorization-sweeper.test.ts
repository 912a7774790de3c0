/**
 * A payment authorization whose workflow is terminated (an operator's click in the Web UI,
 * `temporal workflow terminate`) never runs its expiry timer: without the hold sweeper its
 * order stays `authorized` and its money held forever (capture and void answer 409: nothing
 * is left to decide them). Against the real stack: the hold sweeper (its workflow, as its
 * schedule runs it) voids such an authorization once past expires_at — reason `expired`,
 * the whole hold back, `payment.voided`, exactly what the timer would have done — and
 * leaves alone one not yet expired and one whose workflow still runs.
 */
import { randomUUID } from 'node:crypto';
import { createSweeperActivities, describeWithClient } from '../../src/activities/hold-sweeper';
import type { HoldSweepResult } from '../../src/workflows/hold-sweeper';
import { merchant } from '../helpers/api';
import { pollUntil } from '../helpers/poll';
import { expectLedgerExact, newEnvironment, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
let m: ReturnType<typeof merchant>;
let w: string;
beforeAll(async () => {
  ctx = await startTestContext();
  m = merchant(ctx, await newEnvironment(ctx.pool, 'authorization-sweeper'));
  w = await m.wallet('alice');
  await m.topup('alice', w, 500);
});
afterEach(async () => expectLedgerExact(ctx.pool));
afterAll(async () => ctx.close());

const authorize = (amount: number, ttlSeconds: number) =>
  m.post('/wallet/payment/', { env_id: Number(m.envId), user_id: 'alice', wallet_id: Number(w), amount, product_id: 'p1', capture: false, authorization_ttl_seconds: ttlSeconds });

async function walletRow() {
  const { rows } = await ctx.pool.query<{ balance: string; held: string }>('select balance, held from wallets where id = $1', [w]);
  return { balance: BigInt(rows[0]!.balance), held: BigInt(rows[0]!.held) };
}
async function orderRow(orderId: string) {
  const { rows } = await ctx.pool.query<{ status: string; void_reason: string | null; workflow_id: string; expired: boolean }>(
    'select status, void_reason, workflow_id, expires_at <= now() as expired from orders where id = $1',
    [orderId],
  );
  return rows[0]!;
}
async function voidedEvents(orderId: string) {
  const { rows } = await ctx.pool.query<{ payload: string }>(
    `select payload from webhook_events where env_id = $1 and type = 'payment.voided' and payload::jsonb #>> '{data,order,id}' = $2`,
    [m.envId, orderId],
  );
  return rows.map((r) => JSON.parse(r.payload).data as { reason: string; released_amount: number });
}
const runSweeper = (): Promise<HoldSweepResult> =>
  ctx.client.workflow.execute('holdSweeper', { taskQueue: ctx.stack.taskQueue, workflowId: `hold-sweeper-auth-test-${randomUUID()}`, args: [{}] });

/** An authorization of `amount` whose payment workflow is terminated at once. */
async function terminated(amount: number, ttlSeconds: number) {
  const res = await authorize(amount, ttlSeconds);
  expect(res.status).toBe(200);
  const order = res.body.order as { id: string; status: string };
  expect(order.status).toBe('authorized');
  const { workflow_id } = await orderRow(order.id);
  await ctx.client.workflow.getHandle(workflow_id).terminate('test: an operator terminates the authorization');
  return { orderId: order.id, workflowId: workflow_id };
}

test('a terminated authorization past its expiry is voided by the hold sweeper (expired, hold back, one event); one not yet expired is left', async () => {
  const start = await walletRow();
  const soon = await terminated(12.5, 3600);
  const later = await terminated(7, 3600);
  expect(await walletRow()).toEqual({ balance: start.balance - 1950n, held: start.held + 1950n });

  // Nothing decides them now: capture and void answer 409 (the workflow is gone).
  const refused = await m.post(`/wallet/orders/${soon.orderId}/void/`, { env_id: Number(m.envId) });
  expect([refused.status, refused.body.error.code]).toEqual([409, 'conflict']);

  // Before expiry the sweeper leaves both: a capture was still possible until then.
  const early = await runSweeper();
  expect(early.authorizationsReleased).not.toContain(soon.orderId);
  expect(early.authorizationsReleased).not.toContain(later.orderId);
  expect((await orderRow(soon.orderId)).status).toBe('authorized');

  // Its expiry passes (moved by the database clock's own terms rather than waited for: a
  // wait of seconds raced the steps above on a loaded machine, where they took longer).
  await ctx.pool.query("update orders set expires_at = now() - interval '1 second' where id = $1", [soon.orderId]);
  expect((await orderRow(soon.orderId)).expired).toBe(true);

  // A sweep step that reads the workflow as running does nothing (its own timer would void it).
  const running = createSweeperActivities({ pool: ctx.pool, describeWorkflow: async () => 'RUNNING' });
  expect((await running.listExpiredAuthorizations({ afterId: null, limit: 1000 })).expired.map((a) => a.orderId)).not.toContain(soon.orderId);
  expect(await running.releaseExpiredAuthorization({ ...soon, workflowStatus: 'TERMINATED' })).toBe('nothing');
  expect((await orderRow(soon.orderId)).status).toBe('authorized');

  const sweep = await runSweeper();
  expect(sweep.authorizationsReleased).toContain(soon.orderId);
  expect(sweep.authorizationsReleased).not.toContain(later.orderId);
  expect(await orderRow(soon.orderId)).toMatchObject({ status: 'voided', void_reason: 'expired' });
  expect((await orderRow(later.orderId)).status).toBe('authorized');
  expect(await walletRow()).toEqual({ balance: start.balance - 700n, held: start.held + 700n });
  expect(await voidedEvents(soon.orderId)).toEqual([expect.objectContaining({ reason: 'expired', released_amount: 12.5 })]);
  const { rows } = await ctx.pool.query('select count(*)::int as n from ledger_transactions where idempotency_id = $1', [`${soon.workflowId}:void`]);
  expect(rows[0].n).toBe(1);

  // Idempotent: a second sweep (or a step retried after its commit) finds nothing to do.
  const sweeper = createSweeperActivities({ pool: ctx.pool, describeWorkflow: (id) => describeWithClient(ctx.client, id) });
  expect(await sweeper.releaseExpiredAuthorization({ ...soon, workflowStatus: 'TERMINATED' })).toBe('nothing');
  expect((await runSweeper()).authorizationsReleased).not.toContain(soon.orderId);
  expect(await voidedEvents(soon.orderId)).toHaveLength(1);
  expect(await walletRow()).toEqual({ balance: start.balance - 700n, held: start.held + 700n });
});

test('an authorization whose workflow runs is its workflow\'s: it expires by its own timer, the sweeper never lists it', async () => {
  const res = await authorize(3, 1);
  expect(res.status).toBe(200);
  const orderId = res.body.order.id as string;
  const sweeper = createSweeperActivities({ pool: ctx.pool, describeWorkflow: (id) => describeWithClient(ctx.client, id) });
  await pollUntil('the authorization to void itself', async () => (await orderRow(orderId)).status === 'voided', 15_000);
  expect(await orderRow(orderId)).toMatchObject({ void_reason: 'expired' });
  expect((await sweeper.listExpiredAuthorizations({ afterId: null, limit: 1000 })).expired.map((a) => a.orderId)).not.toContain(orderId);
  expect(await voidedEvents(orderId)).toHaveLength(1);
});
