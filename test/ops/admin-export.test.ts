/**
 * `npm run admin -- export postings --env <id> [--from] [--to] [--format csv|jsonl]`
 * (issue 14, section 1): every posting of the environment and only those, exact
 * decimals, RFC 4180 CSV / one JSON object a line, streamed by COPY; a real process
 * writes it to stdout.
 */
import { spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { parse as parseCsv } from 'csv-parse/sync';
import { parse as parseLossless } from 'lossless-json';
import { runAdmin, type AdminDeps } from '../../src/admin/commands';
import { postTransaction, type PostingRequest } from '../../src/db/ledger';
import { withTransaction } from '../../src/db/pool';
import { POSTINGS_EXPORT_COLUMNS } from '../../src/db/queries/export';
import { createWallet } from '../../src/db/queries/wallets';
import { ROOT } from '../../scripts/stack';
import { expectLedgerExact, newEnvironment, startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
let envId: string;
let walletId: string;
let jpyWallet: string;
let between: Date;
beforeAll(async () => {
  ctx = await startTestContext();
  ({ envId } = await newEnvironment(ctx.pool, 'export'));
  walletId = (await createWallet(ctx.pool, envId, 'x', 'USD')).wallet.id;
  jpyWallet = (await createWallet(ctx.pool, envId, 'x', 'JPY')).wallet.id;
  const topup = (id: string, w: string, currency: 'USD' | 'JPY', amount: bigint, reference: string | null = null): PostingRequest => ({
    idempotencyId: `export-${envId}-${id}`,
    envId,
    currency,
    type: 'topup',
    amount,
    reference,
    legs: [
      { account: 'wallet', walletId: w, amount },
      { account: 'funding', amount: -amount },
    ],
    requireActive: true,
  });
  await withTransaction(ctx.pool, (c) => postTransaction(c, topup('a', walletId, 'USD', 1005n, 'a "quoted", multi\nline \\ reference')));
  await new Promise((r) => setTimeout(r, 30));
  between = new Date();
  await new Promise((r) => setTimeout(r, 30));
  await withTransaction(ctx.pool, (c) => postTransaction(c, topup('b', walletId, 'USD', 7n)));
  await withTransaction(ctx.pool, (c) => postTransaction(c, topup('c', jpyWallet, 'JPY', 1500n)));
  // Another environment's postings never appear.
  const other = await newEnvironment(ctx.pool, 'export-other');
  const w2 = (await createWallet(ctx.pool, other.envId, 'y', 'USD')).wallet.id;
  await withTransaction(ctx.pool, (c) =>
    postTransaction(c, { ...topup('z', w2, 'USD', 1n), envId: other.envId, idempotencyId: `export-other-${other.envId}` }),
  );
});
afterAll(async () => {
  await expectLedgerExact(ctx.pool);
  await ctx.close();
});

async function exportRun(...argv: string[]): Promise<{ code: number; text: string; err: string[] }> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  const err: string[] = [];
  const deps: AdminDeps = { pool: () => ctx.pool, temporal: async () => ctx.client, out: () => undefined, err: (l) => err.push(l), stdout };
  const code = await runAdmin(['export', 'postings', ...argv], deps);
  return { code, text: Buffer.concat(chunks).toString('utf8'), err };
}

test('CSV: a header row, every posting of the environment in id order, exact decimals, RFC 4180 quoting', async () => {
  const { code, text } = await exportRun('--env', envId);
  expect(code).toBe(0);
  expect(text.split('\n')[0]).toBe(POSTINGS_EXPORT_COLUMNS.join(','));
  const rows = parseCsv(text, { columns: true }) as Record<string, string>[];
  const { rows: db } = await ctx.pool.query<{ id: string }>('select id::text from ledger_postings where env_id = $1 order by ledger_postings.id', [envId]);
  expect(rows.map((r) => r.posting_id)).toEqual(db.map((r) => r.id));
  expect(rows.length).toBeGreaterThanOrEqual(6); // the initial float's deposit + three topups, two legs each
  const wallet = rows.filter((r) => r.account === 'wallet').map((r) => [r.wallet_id, r.type, r.amount, r.currency, r.balance_after]);
  expect(wallet).toEqual([
    [walletId, 'topup', '10.05', 'USD', '10.05'],
    [walletId, 'topup', '0.07', 'USD', '10.12'],
    [jpyWallet, 'topup', '1500', 'JPY', '1500'],
  ]);
  expect(rows.find((r) => r.amount === '-10.05')).toMatchObject({ account: 'funding', wallet_id: '', balance_after: '' });
  expect(rows.find((r) => r.amount === '10.05')!.reference).toBe('a "quoted", multi\nline \\ reference');
  expect(rows[rows.length - 1]!.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
});

test('JSONL: one JSON object a line, money as exact numbers; --from inclusive, --to exclusive', async () => {
  const { code, text } = await exportRun('--env', envId, '--format', 'jsonl', '--from', between.toISOString());
  expect(code).toBe(0);
  const lines = text.trimEnd().split('\n');
  expect(lines).toHaveLength(4); // the two later topups, two legs each
  const objects = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(objects.map((o) => Object.keys(o))).toEqual(objects.map(() => [...POSTINGS_EXPORT_COLUMNS]));
  expect(objects.filter((o) => o.account === 'wallet').map((o) => [o.amount, o.currency])).toEqual([[0.07, 'USD'], [1500, 'JPY']]);
  expect(lines.join('\n')).toContain('"amount":0.07,');
  const exact = parseLossless(lines[0]!) as Record<string, unknown>;
  expect(String(exact.amount)).toMatch(/^-?0\.07$/);

  const early = await exportRun('--env', envId, '--format', 'jsonl', '--to', between.toISOString());
  const earlyObjects = early.text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(earlyObjects.find((o) => o.account === 'wallet')).toMatchObject({ amount: 10.05, reference: 'a "quoted", multi\nline \\ reference' });
  expect(earlyObjects.length + lines.length).toBe((parseCsv((await exportRun('--env', envId)).text, { columns: true }) as unknown[]).length);
});

test('refusals: bad flags exit 2 with usage, an unknown environment exits 1', async () => {
  for (const argv of [[], ['--env', 'x'], ['--env', envId, '--format', 'xml'], ['--env', envId, '--from', 'yesterday'], ['--env', envId, '--from', '2026-02-01T00:00:00Z', '--to', '2026-01-01T00:00:00Z']]) {
    const r = await exportRun(...argv);
    expect(r.code).toBe(2);
  }
  const unknown = await exportRun('--env', '999999999');
  expect(unknown).toMatchObject({ code: 1, text: '' });
});

test('a real `npm run admin -- export postings` process writes the export to stdout', () => {
  const run = spawnSync('npm', ['run', '--silent', 'admin', '--', 'export', 'postings', '--env', envId, '--format', 'csv'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: ctx.stack.databaseUrl, NODE_ENV: 'test' },
    encoding: 'utf8',
  });
  expect(run.status).toBe(0);
  const rows = parseCsv(run.stdout, { columns: true }) as Record<string, string>[];
  expect(rows.filter((r) => r.account === 'wallet').map((r) => r.amount)).toEqual(['10.05', '0.07', '1500']);
}, 60_000);
