/**
 * GET /wallet/{wallet_id}/statement: a wallet's statement over [from, to) as JSON or
 * CSV (opening balance, every line, closing balance; src/db/queries/statements.ts says
 * how lines are ordered and why the balances always add up). One statement carries at
 * most STATEMENT_MAX_LINES lines: a longer range is refused with 422
 * `statement_too_large` (nothing unbounded is read into memory); ask for shorter ranges,
 * which chain exactly (closing of [a, b) = opening of [b, c)).
 */
import { Router } from 'express';
import { z } from 'zod';
import { stringify } from 'csv-stringify/sync';
import { DomainError } from '../../domain/errors';
import { formatAmount } from '../../domain/money';
import type { Pool } from '../../db/pool';
import { ledgerHeadForStatement, walletStatement, type StatementLine } from '../../db/queries/statements';
import { envEndpoint } from '../env-endpoint';
import { money } from '../../wire/money';
import { id, userId } from '../schemas';
import { timestamp } from './history';
import { requireWallet } from '../../services/wallets';

export const STATEMENT_MAX_LINES = 10_000;

/** The CSV's columns, in order (the header row). */
export const STATEMENT_CSV_COLUMNS = [
  'posting_id',
  'transaction_id',
  'created_at',
  'type',
  'amount',
  'fee',
  'reference',
  'counterparty_wallet_id',
  'balance_after',
  'currency',
] as const;

export const WalletParams = z.object({ wallet_id: id });
export const StatementQuery = z.object({
  env_id: id,
  user_id: userId.optional(),
  from: timestamp,
  to: timestamp,
  format: z.enum(['json', 'csv'], { error: 'must be json or csv' }).default('json'),
});

/** A free-text CSV cell a spreadsheet would run as a formula, prefixed with ' (OWASP CSV injection). */
export function csvText(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export function statementRoutes(pool: Pool): Router {
  const router = Router();
  router.get(
    '/wallet/:wallet_id/statement',
    ...envEndpoint({ params: WalletParams, query: StatementQuery }, 'query', async ({ params, query }, envId, _req, res) => {
      if (query.from.getTime() >= query.to.getTime()) {
        throw new DomainError('invalid_request', 'from must be before to', { field: 'from' });
      }
      const wallet = await requireWallet(pool, envId, params.wallet_id, query.user_id);
      const statement = await walletStatement(pool, wallet.id, query.from, query.to, STATEMENT_MAX_LINES);
      if (statement.truncated) {
        throw new DomainError('statement_too_large', `more than ${STATEMENT_MAX_LINES} lines between from and to: ask for a shorter range`, {
          max_lines: STATEMENT_MAX_LINES,
          from: query.from.toISOString(),
          to: query.to.toISOString(),
        });
      }
      const cur = wallet.currency;
      const from = query.from.toISOString();
      const to = query.to.toISOString();
      if (query.format === 'csv') {
        // A reference is free text written by whoever made the movement (a transfer's sender
        // writes it into the receiver's statement too): one starting with = + - @ TAB or CR is a
        // formula to a spreadsheet (CSV injection, OWASP). Such a cell is prefixed with a quote
        // so Excel, LibreOffice and Sheets show it as text. Amounts are numbers of ours and keep their sign.
        const row = (l: StatementLine) => [
          l.postingId,
          l.transactionId,
          l.createdAt,
          l.type,
          formatAmount(l.amount, cur),
          formatAmount(l.fee, cur),
          csvText(l.reference ?? ''),
          l.counterpartyWalletId ?? '',
          formatAmount(l.balanceAfter, cur),
          cur,
        ];
        const text = stringify(
          [
            ['', '', from, 'opening_balance', '', '', '', '', formatAmount(statement.opening, cur), cur],
            ...statement.lines.map(row),
            ['', '', to, 'closing_balance', '', '', '', '', formatAmount(statement.closing, cur), cur],
          ],
          { header: true, columns: [...STATEMENT_CSV_COLUMNS], record_delimiter: 'windows' },
        );
        res
          .status(200)
          .type('text/csv; charset=utf-8')
          .set('Content-Disposition', `attachment; filename="statement-${wallet.id}-${from.slice(0, 10)}-${to.slice(0, 10)}.csv"`)
          .send(text);
        return;
      }
      const head = await ledgerHeadForStatement(pool, envId);
      return {
        wallet_id: wallet.id,
        currency: cur,
        from,
        to,
        opening_balance: money(statement.opening, cur),
        closing_balance: money(statement.closing, cur),
        lines: statement.lines.map((l) => ({
          posting_id: l.postingId,
          transaction_id: l.transactionId,
          created_at: l.createdAt,
          type: l.type,
          amount: money(l.amount, cur),
          fee: money(l.fee, cur),
          reference: l.reference,
          counterparty_wallet_id: l.counterpartyWalletId,
          balance_after: money(l.balanceAfter, cur),
        })),
        ledger_head: head && { transaction_id: head.transactionId, hash: head.hash },
      };
    }),
  );
  return router;
}
