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
import { requireEnv } from '../auth';
import { sendJson } from '../json';
import { money } from '../../wire/money';
import { id, userId } from '../schemas';
import { endpoint } from '../validate';
import { registerRoute, WalletSchema } from '../openapi';
import { timestamp, walletOf } from './history';

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

const WalletParams = z.object({ wallet_id: id });
const StatementQuery = z.object({
  env_id: id,
  user_id: userId.optional(),
  from: timestamp,
  to: timestamp,
  format: z.enum(['json', 'csv'], { error: 'must be json or csv' }).default('json'),
});

const moneyOut = WalletSchema.shape.balance;
const LineSchema = z.object({
  posting_id: z.string(),
  transaction_id: z.string(),
  created_at: z.string(),
  type: z.string(),
  amount: moneyOut.openapi({ description: 'Signed: what the posting added to the wallet' }),
  fee: moneyOut.openapi({ description: 'The fee this wallet paid in that transaction, included in amount (negative: a fee given back); see Splits and fees' }),
  reference: z.string().nullable(),
  counterparty_wallet_id: z.string().nullable().openapi({ description: 'The other wallet of a transfer; null otherwise' }),
  balance_after: moneyOut.openapi({ description: 'Opening balance plus the lines up to this one' }),
});

registerRoute({
  method: 'get',
  path: '/wallet/:wallet_id/statement',
  tags: ['history'],
  summary: "A wallet's statement: opening balance, every line, closing balance (JSON or CSV)",
  description:
    'Lines are the postings whose time (`created_at`, the start of their transaction) is in [`from`, `to`), ordered by (`created_at`, `posting_id`). ' +
    '`opening_balance` is the balance of everything before `from`, each `balance_after` is the opening plus the lines so far, and ' +
    '`closing_balance` (everything before `to`) is always the opening plus the sum of the lines; statements over [a, b) and [b, c) chain exactly. ' +
    `At most ${STATEMENT_MAX_LINES.toLocaleString('en')} lines: a range with more is refused with 422 \`statement_too_large\` (ask for shorter ranges). ` +
    '`format=csv`: RFC 4180 (header row, CRLF, quoted fields), exact decimals; the first row is the opening balance and the last the closing balance ' +
    '(`type` `opening_balance` / `closing_balance`, their time in `created_at`, the balance in `balance_after`). ' +
    '`ledger_head` (JSON): the environment\'s latest sealed ledger transaction and its chain hash when the statement was made ' +
    '(as `GET /environments/{env_id}/ledger/head/`); keep it to prove later that the books did not change behind it. Null until the environment\'s first transaction is sealed. ' +
    'A transaction that started before `to` and commits later joins the range then: a statement whose `to` is more than a minute ago does not change.',
  request: { params: WalletParams, query: StatementQuery },
  responses: {
    200: {
      description: 'The statement (JSON; text/csv with format=csv)',
      schema: z.object({
        wallet_id: z.string(),
        currency: WalletSchema.shape.currency,
        from: z.string(),
        to: z.string(),
        opening_balance: moneyOut,
        closing_balance: moneyOut,
        lines: z.array(LineSchema),
        ledger_head: z.object({ transaction_id: z.string(), hash: z.string() }).nullable(),
      }),
      example: {
        wallet_id: '100000001',
        currency: 'USD',
        from: '2026-01-01T00:00:00.000Z',
        to: '2026-02-01T00:00:00.000Z',
        opening_balance: 100.0,
        closing_balance: 70.0,
        lines: [
          { posting_id: '41', transaction_id: '20', created_at: '2026-01-05T10:00:00.000Z', type: 'payment', amount: -50.0, fee: 0.0, reference: null, counterparty_wallet_id: null, balance_after: 50.0 },
          { posting_id: '57', transaction_id: '28', created_at: '2026-01-09T08:30:00.000Z', type: 'transfer', amount: 20.0, fee: 0.0, reference: 'rent', counterparty_wallet_id: '100000002', balance_after: 70.0 },
        ],
        ledger_head: { transaction_id: '28', hash: '9f2c6a0d4b7e1f38a5c2d9e07b6f4a1c3e8d5b2a7f0c9e6d1b4a8f3c7e2d5a90' },
      },
    },
  },
});

/** A free-text CSV cell a spreadsheet would run as a formula, prefixed with ' (OWASP CSV injection). */
export function csvText(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export function statementRoutes(pool: Pool): Router {
  const router = Router();
  router.get(
    '/wallet/:wallet_id/statement',
    ...endpoint({ params: WalletParams, query: StatementQuery }, async ({ params, query }, _req, res) => {
      const envId = requireEnv(res, query.env_id);
      if (query.from.getTime() >= query.to.getTime()) {
        throw new DomainError('invalid_request', 'from must be before to', { field: 'from' });
      }
      const wallet = await walletOf(pool, envId, params.wallet_id, query.user_id);
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
      sendJson(res, 200, {
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
      });
    }),
  );
  return router;
}
