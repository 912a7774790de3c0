/**
 * The money requests that run a workflow and wait for its result: topup, payment,
 * transfer, refund. Each checks what it can cheaply — the user's wallet (404), the
 * amount exact in its currency (422), a transfer's destination, a refund's order — so a
 * bad request never starts a workflow, then starts (or attaches to) the workflow under
 * the request's idempotency. The posting function checks it all again under the row locks.
 * A payment with `capture: false` is an authorization (src/services/payment-authorizations.ts);
 * a topup with `method: card` a card top-up (src/services/card-topups.ts). Withdrawals
 * (update-with-start): src/services/withdrawals.ts.
 */
import { AUTHORIZATION_TTL_SECONDS } from '../domain/authorizations';
import { DomainError } from '../domain/errors';
import { parseAmount } from '../domain/money';
import { requireOtherWallet, requireSameCurrency } from '../domain/transfers';
import type { PaymentResult, RefundResult, TopupResult, TransferResult, Wallet } from '../domain/types';
import type { Pool } from '../db/pool';
import { findOrder } from '../db/queries/orders';
import type { Idempotency } from '../api/idempotency';
import { runMovement, type MovementRequest, type MovementType, type TemporalDeps } from '../api/temporal';
import { authorizePayment } from './payment-authorizations';
import { resolveSplits } from './splits';
import { requireWallet, walletAndAmount } from './wallets';

export interface MovementDeps {
  pool: Pool;
  temporal: TemporalDeps;
}

/** A request on a wallet of a user: what the route read from the body. */
export interface WalletRequest {
  envId: string;
  userId: string;
  walletId: string;
  /** The decimal text as sent (exact: never a float). */
  amount: string;
}

/** The workflow `workflowType` for the wallet `owner`, started (or attached to) under the request's idempotency. */
function start<K extends MovementType>(
  temporal: TemporalDeps,
  workflowType: K,
  owner: Pick<Wallet, 'envId' | 'id' | 'userId'>,
  idem: Idempotency,
  args: MovementRequest<K>['args'],
) {
  return runMovement(temporal, { workflowType, envId: owner.envId, walletId: owner.id, userId: owner.userId, ...idem, args });
}

export async function topUp(deps: MovementDeps, r: WalletRequest, idem: Idempotency): Promise<{ result: TopupResult; workflowId: string }> {
  const { wallet, minor } = await walletAndAmount(deps.pool, r);
  return start(deps.temporal, 'topup', wallet, idem, {
    envId: r.envId,
    walletId: wallet.id,
    amount: minor.toString(),
    currency: wallet.currency,
  });
}

/**
 * A payment taken now, or (`capture: false`) held until captured, voided or expired
 * (README, Authorize and capture).
 */
export async function pay(
  deps: MovementDeps,
  r: WalletRequest & { productId: string; capture?: boolean; authorizationTtlSeconds?: number; splits?: { wallet_id: string; amount: string }[] },
  idem: Idempotency,
): Promise<{ result: PaymentResult; workflowId: string }> {
  if (r.authorizationTtlSeconds !== undefined && r.capture !== false) {
    throw new DomainError('invalid_request', 'authorization_ttl_seconds: only with "capture": false');
  }
  const { wallet, minor } = await walletAndAmount(deps.pool, r);
  const args = {
    envId: r.envId,
    walletId: wallet.id,
    userId: wallet.userId,
    productId: r.productId,
    amount: minor.toString(),
    currency: wallet.currency,
  };
  const splits = await resolveSplits(deps.pool, wallet, minor, r.splits);
  if (r.capture === false) {
    const authorization = { ttlSeconds: r.authorizationTtlSeconds ?? AUTHORIZATION_TTL_SECONDS.default };
    return authorizePayment(deps, { ...args, authorization, ...(splits ? { splits } : {}) }, idem);
  }
  return start(deps.temporal, 'payment', wallet, idem, {
    ...args,
    ...(deps.temporal.paymentTwoSteps ? { twoSteps: true as const } : {}),
    ...(splits ? { splits } : {}),
  });
}

/** From a wallet of the user to any other wallet of the same environment and currency. */
export async function transfer(
  deps: MovementDeps,
  r: WalletRequest & { toWalletId: string; reference: string | null },
  idem: Idempotency,
): Promise<{ result: TransferResult; workflowId: string }> {
  requireOtherWallet(r.walletId, r.toWalletId);
  const from = await requireWallet(deps.pool, r.envId, r.walletId, r.userId);
  const to = await requireWallet(deps.pool, r.envId, r.toWalletId);
  requireSameCurrency(from, to);
  const minor = parseAmount(r.amount, from.currency);
  return start(deps.temporal, 'transfer', from, idem, {
    envId: r.envId,
    fromWalletId: from.id,
    toWalletId: to.id,
    amount: minor.toString(),
    currency: from.currency,
    reference: r.reference,
  });
}

/**
 * A completed payment, refunded in full (no amount) or in part. The workflow locks the
 * order and checks what is left under the lock; here only that the order exists in this
 * environment and the amount's format.
 */
export async function refund(
  deps: MovementDeps,
  r: { envId: string; orderId: string; amount: string | undefined; fromRevenue?: boolean },
  idem: Idempotency,
): Promise<{ result: RefundResult; workflowId: string }> {
  const order = await findOrder(deps.pool, r.envId, r.orderId);
  if (!order) throw new DomainError('not_found', `order ${r.orderId} not found`, { order_id: r.orderId });
  const minor = r.amount === undefined ? null : parseAmount(r.amount, order.currency);
  return start(deps.temporal, 'refund', { envId: r.envId, id: order.walletId, userId: order.userId }, idem, {
    envId: r.envId,
    orderId: order.id,
    amount: minor === null ? null : minor.toString(),
    ...(r.fromRevenue ? { fromRevenue: true } : {}),
  });
}
