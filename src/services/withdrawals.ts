/**
 * Withdrawals between the routes and Temporal/Postgres: start one (the user's wallet and
 * an exact amount, then update-with-start: the answer comes as soon as the Stripe link
 * exists), find one, cancel one while no money has left (409 after).
 */
import { DomainError } from '../domain/errors';
import type { Currency } from '../domain/money';
import type { Withdrawal, WithdrawalProgress } from '../domain/withdrawals';
import type { Pool, Queryable } from '../db/pool';
import { findWithdrawal } from '../db/queries/withdrawals';
import type { Idempotency } from '../api/idempotency';
import type { TemporalDeps } from '../api/temporal';
import { cancelWithdrawal, startWithdrawal } from '../api/withdraw-temporal';
import { walletAndAmount } from './wallets';
import type { MovementDeps, WalletRequest } from './movements';

/** The workflow waits the API passes in (config); unset ones take the workflow's defaults. */
export interface WithdrawWaits {
  onboardingTimeoutMs?: number;
  payoutPollIntervalMs?: number;
  payoutTimeoutMs?: number;
  /** How many fresh onboarding links the refresh URL may ask for per withdrawal (WITHDRAW_MAX_LINK_REFRESHES). */
  maxLinkRefreshes?: number;
}

export async function withdraw(
  deps: MovementDeps & { waits: WithdrawWaits },
  r: WalletRequest,
  idem: Idempotency,
): Promise<{ progress: WithdrawalProgress; currency: Currency; workflowId: string }> {
  const { wallet, minor } = await walletAndAmount(deps.pool, r);
  const started = await startWithdrawal(deps.temporal, deps.pool, {
    ...idem,
    input: { envId: r.envId, walletId: wallet.id, userId: wallet.userId, amount: minor.toString(), currency: wallet.currency, ...deps.waits },
  });
  return { ...started, currency: wallet.currency };
}

/** The withdrawal of this environment, or 404. */
export async function requireWithdrawal(db: Queryable, envId: string, withdrawalId: string): Promise<Withdrawal> {
  const withdrawal = await findWithdrawal(db, envId, withdrawalId);
  if (!withdrawal) throw new DomainError('not_found', `withdrawal ${withdrawalId} not found`);
  return withdrawal;
}

/** Cancels a withdrawal still awaiting onboarding (the workflow releases the hold); a canceled one answers as is. */
export async function cancel(pool: Pool, temporal: TemporalDeps, envId: string, withdrawalId: string): Promise<Withdrawal> {
  const withdrawal = await requireWithdrawal(pool, envId, withdrawalId);
  if (withdrawal.status === 'canceled') return withdrawal;
  if (withdrawal.status !== 'awaiting_onboarding') {
    throw new DomainError('conflict', `the withdrawal is ${withdrawal.status}: it can no longer be canceled`, { status: withdrawal.status });
  }
  await cancelWithdrawal(temporal, withdrawal);
  return requireWithdrawal(pool, envId, withdrawal.id);
}
