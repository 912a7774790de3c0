/**
 * Wallet rules between the routes and the queries: who owns a wallet, opening one, and
 * which status changes are allowed (a closed wallet stays closed; only an empty wallet
 * closes; closing ends the wallet's schedules).
 */
import { DomainError } from '../domain/errors';
import { parseAmount, type Currency } from '../domain/money';
import type { Schedule } from '../domain/schedules';
import type { Wallet, WalletStatus } from '../domain/types';
import { withTransaction, type Pool, type PoolClient, type Queryable } from '../db/pool';
import { recordEvent } from '../db/queries/outbox';
import { endWalletSchedules } from '../db/queries/schedules';
import { createWallet, findWallet, lockWallets, updateWalletStatus } from '../db/queries/wallets';
import { presentSchedule, presentWallet } from '../wire/present';
import { deleteTemporalSchedule } from '../api/schedules-temporal';
import type { TemporalDeps } from '../api/temporal';

/** The wallet, of `userId` when given; anything else (absent, another user's, another environment's) is 404. */
export async function requireWallet(db: Queryable, envId: string, walletId: string, userId?: string): Promise<Wallet> {
  const wallet = await findWallet(db, envId, walletId, userId);
  if (!wallet) throw notFound(walletId, userId);
  return wallet;
}

function notFound(walletId: string, userId: string | undefined): DomainError {
  return new DomainError('not_found', `wallet ${walletId} not found${userId === undefined ? '' : ` for user ${userId}`}`, { wallet_id: walletId });
}

/** The wallet of `userId`, locked (`for update`) in the caller's SQL transaction, or 404. */
export async function lockOwnedWallet(client: PoolClient, envId: string, walletId: string, userId: string): Promise<Wallet> {
  const [wallet] = await lockWallets(client, envId, [walletId]);
  if (!wallet || wallet.userId !== userId) throw notFound(walletId, undefined);
  return wallet;
}

/** A money request's wallet (the user's) and its amount, parsed exactly in that wallet's currency (422 otherwise). */
export async function walletAndAmount(
  pool: Pool,
  r: { envId: string; walletId: string; userId: string; amount: string },
): Promise<{ wallet: Wallet; minor: bigint }> {
  const wallet = await requireWallet(pool, r.envId, r.walletId, r.userId);
  return { wallet, minor: parseAmount(r.amount, wallet.currency) };
}

/** The user's wallet in that currency, created with its `wallet.created` event (same commit) unless it exists. */
export function openWallet(pool: Pool, envId: string, userId: string, currency: Currency): Promise<Wallet> {
  return withTransaction(pool, async (client) => {
    const made = await createWallet(client, envId, userId, currency);
    if (made.created) await recordEvent(client, envId, 'wallet.created', { wallet: presentWallet(made.wallet) });
    return made.wallet;
  });
}

const ALLOWED: Record<WalletStatus, readonly WalletStatus[]> = {
  active: ['active', 'suspended', 'closed'],
  suspended: ['active', 'suspended', 'closed'],
  closed: ['closed'],
};

/** Why `wallet` cannot become `to` (409 `conflict`), or null when it may. Pure. */
export function statusChangeRefusal(wallet: Pick<Wallet, 'status' | 'balance' | 'held'>, to: WalletStatus): DomainError | null {
  if (!ALLOWED[wallet.status].includes(to)) {
    return new DomainError('conflict', `a ${wallet.status} wallet cannot become ${to}`, { status: wallet.status });
  }
  if (to === 'closed' && (wallet.balance !== '0' || wallet.held !== '0')) {
    return new DomainError('conflict', 'only a wallet with zero balance and nothing held can be closed', { status: wallet.status });
  }
  return null;
}

/**
 * Changes the wallet's status under its row lock: `wallet.status_changed` event; closing
 * ends the schedules paying from or to it (their events) in the same commit, then deletes
 * their Temporal Schedules — best effort: a run of an ended schedule moves nothing and
 * deletes its Temporal Schedule itself (src/workflows/schedule-run.ts).
 */
export async function changeWalletStatus(
  pool: Pool,
  temporal: TemporalDeps | undefined,
  r: { envId: string; walletId: string; userId: string; status: WalletStatus },
): Promise<Wallet> {
  const { wallet, ended } = await withTransaction(pool, async (client): Promise<{ wallet: Wallet; ended: Schedule[] }> => {
    const current = await lockOwnedWallet(client, r.envId, r.walletId, r.userId);
    const refusal = statusChangeRefusal(current, r.status);
    if (refusal) throw refusal;
    if (current.status === r.status) return { wallet: current, ended: [] };
    const updated = await updateWalletStatus(client, current.id, r.status);
    await recordEvent(client, r.envId, 'wallet.status_changed', { previous_status: current.status, wallet: presentWallet(updated) });
    if (r.status !== 'closed') return { wallet: updated, ended: [] };
    const ended = await endWalletSchedules(client, r.envId, current.id, 'wallet_closed');
    for (const s of ended) await recordEvent(client, r.envId, 'schedule.ended', { schedule: presentSchedule(s), reason: 'wallet_closed' });
    return { wallet: updated, ended };
  });
  if (temporal) await Promise.all(ended.map((s) => deleteTemporalSchedule(temporal, s.temporalScheduleId).catch(() => undefined)));
  return wallet;
}
