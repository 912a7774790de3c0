/** OpenAPI entries of routes/statements.ts (registered by src/api/openapi.ts). */
import { z } from 'zod';
import { moneyOut, registerRoute, WalletSchema } from './registry';
import { STATEMENT_MAX_LINES, WalletParams, StatementQuery } from '../routes/statements';

export function documentStatements(): void {
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

}
