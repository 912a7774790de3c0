/** Operator reads for the admin CLI (`npm run admin`): not tenant-scoped, never on a request path. */
import type { Wallet } from '../../domain/types';
import type { Pool } from '../pool';
import { WALLET_COLUMNS, walletFromRow, type WalletRow } from './wallets';

export async function walletById(pool: Pool, walletId: string): Promise<Wallet | null> {
  const { rows } = await pool.query<WalletRow>(`select ${WALLET_COLUMNS} from wallets where id = $1`, [walletId]);
  return rows[0] ? walletFromRow(rows[0]) : null;
}

export interface PostingLine {
  posting_id: string;
  transaction_id: string;
  type: string;
  amount: string;
  balance_after: string;
  idempotency_id: string;
  created_at: string;
}

export async function walletPostings(pool: Pool, walletId: string, limit: number): Promise<PostingLine[]> {
  const { rows } = await pool.query<PostingLine>(
    `select p.id::text as posting_id, p.transaction_id::text, t.type, p.amount::text, p.balance_after::text,
       t.idempotency_id, to_char(p.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as created_at
     from ledger_postings p join ledger_transactions t on t.id = p.transaction_id
     where p.wallet_id = $1 order by p.id desc limit $2`,
    [walletId, limit],
  );
  return rows;
}

export async function environmentById(pool: Pool, envId: string): Promise<{ id: string; name: string; created_at: string } | null> {
  const { rows } = await pool.query<{ id: string; name: string; created_at: string }>(
    `select id::text, name, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as created_at
     from environments where id = $1`,
    [envId],
  );
  return rows[0] ?? null;
}
