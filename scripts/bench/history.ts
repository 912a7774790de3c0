/**
 * History reads at depth: the keyset query a transactions page uses (postings of one
 * wallet, newest first, `id < cursor`, 50 a page), timed on page 1 and on deep pages.
 * Keyset pages walk the (wallet_id, id desc) index from the cursor, so they should
 * cost the same at any depth; OFFSET, shown beside them, reads every skipped row.
 */
import type { Pool } from '../../src/db/pool';

export const KEYSET_QUERY = `select id, transaction_id, amount, balance_after, created_at
  from ledger_postings where wallet_id = $1 and id < $2 order by id desc limit 50`;

export interface HistoryPage {
  depth: number;
  keysetMs: { p50: number; p99: number };
  offsetMs: { p50: number; p99: number } | null;
  rows: number;
}

export interface HistoryResult {
  postings: number;
  walletPostings: number;
  plan: string;
  pages: HistoryPage[];
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

export async function measureHistory(pool: Pool, walletId: string, walletPostings: number, times: number): Promise<HistoryResult> {
  const total = Number((await pool.query<{ n: string }>('select count(*) as n from ledger_postings')).rows[0]!.n);
  const plan = (await pool.query<{ 'QUERY PLAN': string }>(`explain ${KEYSET_QUERY.replace('$1', walletId).replace('$2', '9223372036854775807')}`)).rows
    .map((r) => r['QUERY PLAN'])
    .join('\n');
  const depths = [0, 1_000, Math.floor(walletPostings / 2), Math.max(0, walletPostings - 50)].filter((d, i, a) => a.indexOf(d) === i);
  const pages: HistoryPage[] = [];
  for (const depth of depths) {
    // The cursor a client would hold after reading `depth` postings (found once, not timed).
    const cursor =
      depth === 0
        ? '9223372036854775807'
        : (await pool.query<{ id: string }>('select id from ledger_postings where wallet_id = $1 order by id desc offset $2 limit 1', [walletId, depth - 1]))
            .rows[0]!.id;
    const keyset = await timeQuery(pool, KEYSET_QUERY, [walletId, cursor], times);
    const offset =
      depth === 0
        ? null
        : await timeQuery(pool, 'select id, amount from ledger_postings where wallet_id = $1 order by id desc offset $2 limit 50', [walletId, depth], Math.max(3, Math.floor(times / 10)));
    pages.push({ depth, keysetMs: { p50: keyset.p50, p99: keyset.p99 }, offsetMs: offset && { p50: offset.p50, p99: offset.p99 }, rows: keyset.rows });
  }
  return { postings: total, walletPostings, plan, pages };
}
