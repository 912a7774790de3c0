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
 *
 * One exception, off the hot path: a transaction that posts to `funding` (a deposit, a
 * topup) also moves the environment's float counters (environment_funding) with a
 * conditional UPDATE, as the last statement (so that row is always the last lock taken,
 * and held only until the caller's commit). A
 * topup the float cannot cover is refused (`funding_limit_exceeded`) and posts nothing.
 * Payments, transfers, refunds and withdrawals never post to `funding`, so they never
 * touch that row.
 *
 * Just before it, two issue-14 steps that need the wallets locked: spend limits (a payment,
 * transfer or hold over the wallet's limit is refused with `limit_exceeded`) and balance
 * monitors (a `wallet.balance_threshold_crossed` event when old → new value enters a
 * monitor's condition).
 */
import { DomainError } from '../domain/errors';
import { checkPosting, type Posting } from '../domain/postings';
import { formatAmount, type Currency } from '../domain/money';
import type { Wallet } from '../domain/types';
import { ledgerPostings, ledgerTransactions } from '../observability/metrics';
import type { PoolClient } from './pool';
import { applyFundingChange, getFunding } from './queries/funding';
import { getWallets, WALLET_COLUMNS, walletFromRow, type WalletRow } from './queries/wallets';
import { fireMonitors } from './queries/monitors';
import { applySpendLimits } from './queries/spend-limits';

/**
 * A posting (src/domain/postings.ts: built by name, e.g. `postings.topup(walletId, amount)`)
 * with what makes it one ledger transaction.
 */
export interface PostingRequest extends Posting {
  /** Caller-given key (workflow id + step): the same key never posts twice. */
  idempotencyId: string;
  envId: string;
  currency: Currency;
}

export interface PostingResult {
  transactionId: string;
  /** True when this idempotency id had already posted: nothing was posted now. */
  replayed: boolean;
  wallets: Wallet[];
}

export async function postTransaction(client: PoolClient, req: PostingRequest): Promise<PostingResult> {
  checkPosting(req, req.idempotencyId);
  const walletIds = [
    ...new Set([
      ...req.legs.flatMap((l) => (l.account === 'wallet' ? [l.walletId] : [])),
      ...(req.heldDelta ?? []).map((d) => d.walletId),
    ]),
  ];

  // Round trip 1: insert the transaction row and, only if it is new, lock the touched
  // wallets in ascending id order (the same lock order as before: opposite transfers
  // cannot deadlock). A replay inserts nothing and locks nothing.
  const first = await client.query<WalletRow & { transaction_id: string | null; has_limits: boolean; has_monitors: boolean }>({
    // Named, as every statement of the posting: planned once per connection (issue 11).
    name: 'post-transaction-lock',
    text: `with t as (
       insert into ledger_transactions (idempotency_id, env_id, type, currency, amount, reference)
       values ($1, $2, $3, $4, $5, $6)
       on conflict (idempotency_id) do nothing
       returning id
     ), w as (
       -- has_limits / has_monitors: whether the spend-limit and monitor steps below need a
       -- query at all (most wallets have neither: the posting stays two round trips).
       select ${WALLET_COLUMNS},
              (exists (select 1 from wallet_limits wl where wl.wallet_id = wallets.id)
               or exists (select 1 from environment_limits el where el.env_id = wallets.env_id and el.currency = wallets.currency)) as has_limits,
              exists (select 1 from wallet_monitors m where m.wallet_id = wallets.id and m.status = 'enabled') as has_monitors
       from wallets
       where env_id = $2 and id = any($7::bigint[]) and exists (select 1 from t)
       order by id for update
     )
     select t.id as transaction_id, w.* from t left join w on true`,
    values: [req.idempotencyId, req.envId, req.type, req.currency, req.amount.toString(), req.reference ?? null, walletIds],
  });
  if (!first.rows[0]) {
    ledgerTransactions.inc({ type: req.type, replayed: 'true' });
    return replay(client, req, walletIds);
  }
  const transactionId = first.rows[0].transaction_id!;
  const lockedRows = first.rows.filter((r) => r.id !== null);
  const locked = lockedRows.map(walletFromRow);
  const limited = new Set(lockedRows.filter((r) => r.has_limits).map((r) => String(r.id)));
  const monitored = new Set(lockedRows.filter((r) => r.has_monitors).map((r) => String(r.id)));
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

  // Round trip 2: the postings and the wallets' new balances in one statement.
  const updates = [...next].map(([id, s]) => ({ id, balance: s.balance, held: s.held }));
  const written = await client.query<WalletRow>({
    name: 'post-transaction-write',
    text: `with p as (
       insert into ledger_postings (transaction_id, env_id, currency, account, wallet_id, amount, balance_after)
       select $1, $2, $3, p.account, p.wallet_id, p.amount, p.balance_after
       from unnest($4::text[], $5::bigint[], $6::bigint[], $7::bigint[]) as p(account, wallet_id, amount, balance_after)
     )
     update wallets w set balance = u.balance, held = u.held, updated_at = now()
     from unnest($8::bigint[], $9::bigint[], $10::bigint[]) as u(id, balance, held)
     where w.id = u.id
     returning ${WALLET_COLUMNS.split(', ').map((c) => 'w.' + c).join(', ')}`,
    values: [
      transactionId,
      req.envId,
      req.currency,
      postings.map((p) => p.account),
      postings.map((p) => p.walletId),
      postings.map((p) => p.amount.toString()),
      postings.map((p) => (p.balanceAfter === null ? null : p.balanceAfter.toString())),
      updates.map((u) => u.id),
      updates.map((u) => u.balance.toString()),
      updates.map((u) => u.held.toString()),
    ],
  });
  // In the order the caller named the wallets (writeWalletBalances' order before).
  const writtenById = new Map(written.rows.map((r) => [r.id, walletFromRow(r)]));
  const wallets = updates.map((u) => writtenById.get(u.id)!);
  // Spend limits and balance monitors (issue 14: src/db/queries/spend-limits.ts, monitors.ts).
  // Both rely on the wallet locks above, which serialize each wallet's postings; a limit
  // refusal rolls the writes above back. Before the funding float, so that row stays the last lock.
  await applySpendLimits(client, {
    envId: req.envId,
    type: req.type,
    currency: req.currency,
    outgoing: req.legs.reduce((m, l) => {
      if (l.account === 'wallet' && l.amount < 0n && limited.has(l.walletId)) m.set(l.walletId, (m.get(l.walletId) ?? 0n) - l.amount);
      return m;
    }, new Map<string, bigint>()),
  });
  await fireMonitors(client, {
    envId: req.envId,
    transactionId,
    type: req.type,
    changes: wallets.filter((w) => monitored.has(w.id)).map((w) => ({ before: { balance: BigInt(byId.get(w.id)!.balance), held: BigInt(byId.get(w.id)!.held) }, after: w })),
  });
  // The last statement, so the environment's float row (topups of one environment queue on
  // it) is held only from here to the caller's commit. A refusal rolls the writes above back.
  await moveFundingFloat(client, req);
  // Counted before the commit: a rollback after this point is rare (the caller's own rows).
  ledgerTransactions.inc({ type: req.type, replayed: 'false' });
  ledgerPostings.inc({ type: req.type }, postings.length);
  return { transactionId, replayed: false, wallets };
}

/**
 * The float check: a deposit adds to `deposited`; any other posting to `funding` (a topup
 * takes, a reversal would give back) changes `used`, refused when the float and its credit
 * line cannot cover it. Runs in the caller's SQL transaction: a refusal rolls it all back.
 */
async function moveFundingFloat(client: PoolClient, req: PostingRequest): Promise<void> {
  if (!req.legs.some((l) => l.account === 'funding')) return;
  const delta = req.legs.reduce((s, l) => (l.account === 'funding' ? s + l.amount : s), 0n);
  if (delta === 0n) return;
  const deposit = req.type === 'deposit';
  const moved = await applyFundingChange(client, req.envId, req.currency, deposit ? delta : 0n, deposit ? 0n : -delta);
  if (moved) return;
  const funding = await getFunding(client, req.envId, req.currency);
  const available = funding ? BigInt(funding.available) : 0n;
  throw new DomainError(
    'funding_limit_exceeded',
    `environment ${req.envId} has ${formatAmount(available < 0n ? 0n : available, req.currency)} ${req.currency} of funding left, ` +
      `this ${req.type} needs ${formatAmount(-delta, req.currency)}: the platform operator must record a deposit first`,
    {
      env_id: req.envId,
      currency: req.currency,
      deposited_minor: funding?.deposited ?? '0',
      used_minor: funding?.used ?? '0',
      credit_line_minor: funding?.creditLine ?? '0',
      available_minor: available.toString(),
      required_minor: (-delta).toString(),
    },
  );
}

async function replay(client: PoolClient, req: PostingRequest, walletIds: string[]): Promise<PostingResult> {
  const { rows } = await client.query<{ id: string; type: string; amount: string; env_id: string }>({
    name: 'post-transaction-replay',
    text: 'select id, type, amount, env_id from ledger_transactions where idempotency_id = $1',
    values: [req.idempotencyId],
  });
  const first = rows[0]!;
  if (first.type !== req.type || first.amount !== req.amount.toString() || first.env_id !== req.envId) {
    throw new DomainError('conflict', `ledger transaction ${req.idempotencyId} already exists with other terms`);
  }
  const wallets = walletIds.length ? await getWallets(client, req.envId, walletIds) : [];
  return { transactionId: first.id, replayed: true, wallets };
}
