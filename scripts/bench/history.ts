/**
 * History reads at depth: the statement `GET /wallet/{id}/transactions` runs
 * (`WALLET_MOVEMENTS_SQL`, imported from src/db/queries/history.ts: postings of one wallet
 * joined to their transactions, newest first, `id < cursor`, 50 a page), timed on page 1
 * and on deep pages. Keyset pages walk the (wallet_id, id desc) index from the cursor, so
 * they should cost the same at any depth; OFFSET, shown beside them, reads every skipped row.
 * The same statement on a sparse wallet (its postings spread thinly through the whole
 * table) must still walk that index, not the primary key filtered on wallet_id: the whole
 * EXPLAIN ANALYZE of each case is kept and printed.
 */
import type { Pool } from '../../src/db/pool';
import { WALLET_MOVEMENTS_SQL, explainWalletMovements, walletMovementsParams } from '../../src/db/queries/history';

const PAGE = 50;

export interface HistoryPage {
  depth: number;
  keysetMs: { p50: number; p99: number };
  offsetMs: { p50: number; p99: number } | null;
  rows: number;
}

export interface HistoryPlan {
  /** Which wallet and page: "dense, first page", "dense, depth N", "sparse, first page". */
  name: string;
  /** EXPLAIN (ANALYZE, BUFFERS) of the route's statement, every line. */
  plan: string;
}

export interface HistoryResult {
  postings: number;
  walletPostings: number;
  /** The sparse wallet's postings (spread evenly among the dense wallet's). */
  sparsePostings: number;
  /** The dense wallet's first page plan (kept for the report's one-line summary). */
  plan: string;
  plans: HistoryPlan[];
  pages: HistoryPage[];
  /** The sparse wallet's first and deepest page, timed like the dense wallet's. */
  sparsePages: HistoryPage[];
}

async function timeQuery(pool: Pool, sql: string, params: unknown[], times: number): Promise<{ p50: number; p99: number; rows: number }> {
  const samples: number[] = [];
  let rows = 0;
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    const r = await pool.query(sql, params);
    samples.push(performance.now() - t);
    rows = r.rowCount ?? 0;
  }
  samples.sort((a, b) => a - b);
  const at = (p: number) => Math.round(samples[Math.min(samples.length - 1, Math.ceil((p / 100) * samples.length) - 1)]! * 1000) / 1000;
  return { p50: at(50), p99: at(99), rows };
}

/** As the route asks: no cursor on the first page, no time bounds. */
const pageQuery = (walletId: string, cursor: string | null) => ({ walletId, limit: PAGE, beforePostingId: cursor, from: null, to: null });

/** The cursor a client would hold after reading `depth` postings (found once, not timed). */
async function cursorAt(pool: Pool, walletId: string, depth: number): Promise<string | null> {
  if (depth === 0) return null;
  return (await pool.query<{ id: string }>('select id from ledger_postings where wallet_id = $1 order by id desc offset $2 limit 1', [walletId, depth - 1])).rows[0]!.id;
}

async function measurePages(pool: Pool, walletId: string, depths: number[], times: number): Promise<HistoryPage[]> {
  const pages: HistoryPage[] = [];
  for (const depth of depths) {
    const cursor = await cursorAt(pool, walletId, depth);
    const keyset = await timeQuery(pool, WALLET_MOVEMENTS_SQL, walletMovementsParams(pageQuery(walletId, cursor)), times);
    const offset =
      depth === 0
        ? null
        : await timeQuery(pool, `select id, amount from ledger_postings where wallet_id = $1 order by id desc offset $2 limit ${PAGE}`, [walletId, depth], Math.max(3, Math.floor(times / 10)));
    pages.push({ depth, keysetMs: { p50: keyset.p50, p99: keyset.p99 }, offsetMs: offset && { p50: offset.p50, p99: offset.p99 }, rows: keyset.rows });
  }
  return pages;
}

const unique = (xs: number[]) => xs.filter((d, i, a) => d >= 0 && a.indexOf(d) === i);

export async function measureHistory(
  pool: Pool,
  wallets: { walletId: string; walletPostings: number; sparseWalletId: string; sparsePostings: number },
  times: number,
): Promise<HistoryResult> {
  const { walletId, walletPostings, sparseWalletId, sparsePostings } = wallets;
  const total = Number((await pool.query<{ n: string }>('select count(*) as n from ledger_postings')).rows[0]!.n);
  const deep = Math.max(0, walletPostings - PAGE);
  const sparseDeep = Math.max(0, sparsePostings - PAGE);
  const plans: HistoryPlan[] = [];
  for (const [name, id, depth] of [
    ['dense wallet, first page', walletId, 0],
    [`dense wallet, depth ${deep.toLocaleString('en')}`, walletId, deep],
    ['sparse wallet, first page', sparseWalletId, 0],
    [`sparse wallet, depth ${sparseDeep.toLocaleString('en')}`, sparseWalletId, sparseDeep],
  ] as const) {
    const plan = await explainWalletMovements(pool, pageQuery(id, await cursorAt(pool, id, depth)), { analyze: true });
    plans.push({ name, plan: plan.join('\n') });
  }
  const pages = await measurePages(pool, walletId, unique([0, 1_000, Math.floor(walletPostings / 2), deep]), times);
  const sparsePages = await measurePages(pool, sparseWalletId, unique([0, sparseDeep]), times);
  return { postings: total, walletPostings, sparsePostings, plan: plans[0]!.plan, plans, pages, sparsePages };
}
