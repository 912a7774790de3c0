/**
 * The one posting function. Every movement of money (topup, payment, transfer,
 * refund, hold, release, settle) is a call of postTransaction inside the caller's SQL
 * transaction, so the caller can write its own rows (an order, an outbox event) in
 * the same commit.
 *
 * Steps: insert the transaction row keyed by the caller's idempotency id (a replay
 * returns the first row and posts nothing) → lock the touched wallets in ascending id
 * order → check tenancy, currency, status and funds → insert the postings → write the
 * wallets' new balances. System accounts have no row and take no lock: their balance
 * is the sum of their postings.
 */
import { DomainError } from '../domain/errors';
import type { Currency } from '../domain/money';
import type { Wallet } from '../domain/types';
import { ledgerPostings, ledgerTransactions } from '../observability/metrics';
import type { PoolClient } from './pool';
import { getWallets, lockWallets, writeWalletBalances } from './queries/wallets';

export type SystemAccount = 'funding' | 'revenue' | 'in_flight' | 'paid_out';
export type TransactionType = 'topup' | 'payment' | 'payment_reversal' | 'transfer' | 'refund' | 'hold' | 'release' | 'settle';

export type Leg =
  | { account: 'wallet'; walletId: string; amount: bigint }
  | { account: SystemAccount; amount: bigint };

export interface PostingRequest {
  /** Caller-given key (workflow id + step): the same key never posts twice. */
  idempotencyId: string;
  envId: string;
  currency: Currency;
  type: TransactionType;
  /** The movement's size (positive); the legs carry the signs. */
  amount: bigint;
  reference?: string | null;
  legs: Leg[];
  /**
   * User-initiated movements need every touched wallet active. Compensations
   * (release of a hold, reversal of a payment) must succeed on a suspended wallet.
   */
  requireActive: boolean;
  /**
   * Change to `held` per wallet: a hold adds, a release or settle subtracts. A wallet
   * named here is locked like a leg's wallet even when no leg touches its balance
   * (a settle moves in_flight → paid_out and only lowers the wallet's `held`).
   */
  heldDelta?: { walletId: string; amount: bigint }[];
}

export interface PostingResult {
  transactionId: string;
  /** True when this idempotency id had already posted: nothing was posted now. */
  replayed: boolean;
  wallets: Wallet[];
}

export async function postTransaction(client: PoolClient, req: PostingRequest): Promise<PostingResult> {
  assertBalanced(req);
  const walletIds = [
    ...new Set([
      ...req.legs.flatMap((l) => (l.account === 'wallet' ? [l.walletId] : [])),
      ...(req.heldDelta ?? []).map((d) => d.walletId),
    ]),
  ];

  const inserted = await client.query<{ id: string }>(
    `insert into ledger_transactions (idempotency_id, env_id, type, currency, amount, reference)
     values ($1, $2, $3, $4, $5, $6)
     on conflict (idempotency_id) do nothing
     returning id`,
    [req.idempotencyId, req.envId, req.type, req.currency, req.amount.toString(), req.reference ?? null],
  );
  if (!inserted.rows[0]) {
    ledgerTransactions.inc({ type: req.type, replayed: 'true' });
    return replay(client, req, walletIds);
  }
  const transactionId = inserted.rows[0].id;

  const locked = await lockWallets(client, req.envId, walletIds);
  const byId = new Map(locked.map((w) => [w.id, w]));
  const next = new Map<string, { balance: bigint; held: bigint }>();
  for (const id of walletIds) {
    const wallet = byId.get(id);
    if (!wallet) throw new DomainError('not_found', `wallet ${id} not found`, { wallet_id: id });
    if (wallet.currency !== req.currency) {
      throw new DomainError('currency_mismatch', `wallet ${id} holds ${wallet.currency}, not ${req.currency}`, {
        wallet_id: id,
        wallet_currency: wallet.currency,
        currency: req.currency,
      });
    }
    if (req.requireActive && wallet.status !== 'active') {
      throw new DomainError('wallet_not_active', `wallet ${id} is ${wallet.status}`, { wallet_id: id, status: wallet.status });
    }
    next.set(id, { balance: BigInt(wallet.balance), held: BigInt(wallet.held) });
  }

  const postings: { account: string; walletId: string | null; amount: bigint; balanceAfter: bigint | null }[] = [];
  for (const leg of req.legs) {
    if (leg.account !== 'wallet') {
      postings.push({ account: leg.account, walletId: null, amount: leg.amount, balanceAfter: null });
      continue;
    }
    const state = next.get(leg.walletId)!;
    state.balance += leg.amount;
    if (state.balance < 0n) {
      const wallet = byId.get(leg.walletId)!;
      throw new DomainError('insufficient_funds', `wallet ${leg.walletId} has insufficient funds`, {
        wallet_id: leg.walletId,
        balance_minor: wallet.balance,
        required_minor: (-leg.amount).toString(),
      });
    }
    postings.push({ account: 'wallet', walletId: leg.walletId, amount: leg.amount, balanceAfter: state.balance });
  }
  for (const delta of req.heldDelta ?? []) {
    const state = next.get(delta.walletId)!;
    state.held += delta.amount;
    if (state.held < 0n) throw new Error(`held of wallet ${delta.walletId} would go negative`);
  }

  await client.query(
    `insert into ledger_postings (transaction_id, env_id, currency, account, wallet_id, amount, balance_after)
     select $1, $2, $3, p.account, p.wallet_id, p.amount, p.balance_after
     from unnest($4::text[], $5::bigint[], $6::bigint[], $7::bigint[]) as p(account, wallet_id, amount, balance_after)`,
    [
      transactionId,
      req.envId,
      req.currency,
      postings.map((p) => p.account),
      postings.map((p) => p.walletId),
      postings.map((p) => p.amount.toString()),
      postings.map((p) => (p.balanceAfter === null ? null : p.balanceAfter.toString())),
    ],
  );
  // Counted before the commit: a rollback after this point is rare (the caller's own rows).
  ledgerTransactions.inc({ type: req.type, replayed: 'false' });
  ledgerPostings.inc({ type: req.type }, postings.length);
  const wallets = walletIds.length
    ? await writeWalletBalances(
        client,
        [...next].map(([id, s]) => ({ id, balance: s.balance, held: s.held })),
      )
    : [];
  return { transactionId, replayed: false, wallets };
}

function assertBalanced(req: PostingRequest): void {
  // A programming error, not a client's: these throw plain Errors.
  if (req.amount <= 0n) throw new Error('posting amount must be positive');
  if (req.legs.length < 2) throw new Error('a transaction needs at least two legs');
  if (req.legs.some((l) => l.amount === 0n)) throw new Error('a leg cannot be zero');
  const sum = req.legs.reduce((s, l) => s + l.amount, 0n);
  if (sum !== 0n) throw new Error(`legs of ${req.idempotencyId} sum to ${sum}, not zero`);
  // sum(held) must track the in_flight account exactly (invariants.ts): every change of
  // `held` is matched by the same change of in_flight in this transaction.
  const heldTotal = (req.heldDelta ?? []).reduce((s, d) => s + d.amount, 0n);
  const flightTotal = req.legs.reduce((s, l) => (l.account === 'in_flight' ? s + l.amount : s), 0n);
  if (heldTotal !== flightTotal) {
    throw new Error(`${req.idempotencyId}: held changes by ${heldTotal} but in_flight by ${flightTotal}`);
  }
}

async function replay(client: PoolClient, req: PostingRequest, walletIds: string[]): Promise<PostingResult> {
  const { rows } = await client.query<{ id: string; type: string; amount: string; env_id: string }>(
    'select id, type, amount, env_id from ledger_transactions where idempotency_id = $1',
    [req.idempotencyId],
  );
  const first = rows[0]!;
  if (first.type !== req.type || first.amount !== req.amount.toString() || first.env_id !== req.envId) {
    throw new DomainError('conflict', `ledger transaction ${req.idempotencyId} already exists with other terms`);
  }
  const wallets = walletIds.length ? await getWallets(client, req.envId, walletIds) : [];
  return { transactionId: first.id, replayed: true, wallets };
}
