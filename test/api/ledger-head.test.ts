/**
 * GET /environments/{env_id}/ledger/head/ (issue 14, section 2): the environment's latest
 * sealed transaction, its seal_seq, hash and sealed_at, sealed by the worker shortly after
 * the commit (no call seals here: the running worker's sealer does it); statements carry
 * the same head; only the caller's environment.
 */
import request from 'supertest';
import { verifyLedgerChains } from '../../src/db/ledger-chain';
import { merchant } from '../helpers/api';
import { expectLedgerExact, newEnvironment, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
let m: ReturnType<typeof merchant>;
let other: ReturnType<typeof merchant>;
beforeAll(async () => {
  ctx = await startTestContext();
  m = merchant(ctx, await newEnvironment(ctx.pool, 'ledger-head'));
  other = merchant(ctx, await newEnvironment(ctx.pool, 'ledger-head-other'));
});
afterAll(async () => {
  await expectLedgerExact(ctx.pool);
  await ctx.close();
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function headOnceSealed(transactionId: string) {
  for (let i = 0; i < 100; i++) {
    const res = await m.get(`/environments/${m.envId}/ledger/head/`);
    expect(res.status).toBe(200);
    if (res.body.transaction_id !== null && BigInt(res.body.transaction_id) >= BigInt(transactionId)) return res.body;
    await pause(100);
  }
  throw new Error(`transaction ${transactionId} was not sealed within 10 s`);
}

test('the head moves to the latest sealed transaction shortly after a commit; statements carry it', async () => {
  const wallet = await m.wallet('alice');
  const from = new Date(Date.now() - 1000);
  await m.topup('alice', wallet, '12.34');
  const last = await ctx.pool.query<{ id: string }>(`select max(id)::text as id from ledger_transactions where env_id = $1`, [m.envId]);
  const head = await headOnceSealed(last.rows[0]!.id);
  const stored = (
    await ctx.pool.query(`select t.id::text, t.seal_seq::text, t.hash, t.sealed_at from ledger_transactions t where t.env_id = $1 and t.seal_seq is not null order by t.seal_seq desc limit 1`, [
      m.envId,
    ])
  ).rows[0];
  expect(head).toEqual({ env_id: m.envId, transaction_id: stored.id, seal_seq: stored.seal_seq, hash: stored.hash, sealed_at: stored.sealed_at.toISOString() });
  expect(head.hash).toMatch(/^[0-9a-f]{64}$/);
  expect(await verifyLedgerChains(ctx.pool, { envId: m.envId })).toEqual([]);

  // Later, after more money moved: the head kept is still the link stored for that transaction.
  await m.topup('alice', wallet, '1.00');
  const later = await headOnceSealed(String(BigInt(head.transaction_id) + 1n));
  expect(Number(later.seal_seq)).toBeGreaterThan(Number(head.seal_seq));
  const kept = await m.get(`/environments/${m.envId}/ledger/head/`, { transaction_id: head.transaction_id });
  expect(kept.status).toBe(200);
  expect(kept.body).toEqual(head);
  // Not in this environment (or not sealed): 404.
  expect((await other.get(`/environments/${other.envId}/ledger/head/`, { transaction_id: head.transaction_id })).status).toBe(404);

  const statement = await m.get(`/wallet/${wallet}/statement/`, { env_id: m.envId, user_id: 'alice', from: from.toISOString(), to: new Date().toISOString() });
  expect(statement.status).toBe(200);
  expect(statement.body.ledger_head).toEqual({ transaction_id: later.transaction_id, hash: later.hash });
});

test("only the caller's environment; no secret 401; unknown parameters 422", async () => {
  expect((await other.get(`/environments/${m.envId}/ledger/head/`)).status).toBe(403);
  expect((await request(ctx.app).get(`/environments/${m.envId}/ledger/head/`)).status).toBe(401);
  const bad = await m.get(`/environments/${m.envId}/ledger/head/`, { extra: '1' });
  expect(bad.status).toBe(422);
});
