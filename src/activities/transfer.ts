/**
 * Transfer between two wallets of one environment and currency: one posting, one
 * SQL transaction with its outbox event. postTransaction locks both wallets in
 * ascending id order, so opposite transfers between the same pair cannot deadlock.
 */
import { DomainError } from '../domain/errors';
import type { TransferInput, TransferResult } from '../domain/types';
import { money } from '../wire/money';
import { presentWallet } from '../wire/present';
import { postTransaction } from '../db/ledger';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import { recordEvent } from '../db/queries/outbox';

/** A transfer's posting and its outbox event, inside the caller's SQL transaction (transferFunds, batches). */
export async function transferIn(client: PoolClient, input: TransferInput & { idempotencyId: string }): Promise<TransferResult> {
  if (input.fromWalletId === input.toWalletId) {
    throw new DomainError('invalid_request', 'a wallet cannot transfer to itself', { wallet_id: input.fromWalletId });
  }
  const amount = BigInt(input.amount);
  const posted = await postTransaction(client, {
    idempotencyId: input.idempotencyId,
    envId: input.envId,
    currency: input.currency,
    type: 'transfer',
    amount,
    reference: input.reference,
    legs: [
      { account: 'wallet', walletId: input.fromWalletId, amount: -amount },
      { account: 'wallet', walletId: input.toWalletId, amount },
    ],
    requireActive: true,
  });
  const wallet = posted.wallets.find((w) => w.id === input.fromWalletId)!;
  const toWallet = posted.wallets.find((w) => w.id === input.toWalletId)!;
  const transfer = {
    id: posted.transactionId,
    envId: input.envId,
    fromWalletId: input.fromWalletId,
    toWalletId: input.toWalletId,
    amount: input.amount,
    currency: input.currency,
    reference: input.reference,
  };
  if (!posted.replayed) {
    await recordEvent(client, input.envId, 'transfer.completed', {
      transfer_id: transfer.id,
      from_wallet_id: transfer.fromWalletId,
      to_wallet_id: transfer.toWalletId,
      amount: money(amount, input.currency),
      currency: input.currency,
      reference: input.reference,
      from_wallet: presentWallet(wallet),
      to_wallet: presentWallet(toWallet),
    });
  }
  return { transfer, wallet, toWallet };
}

export function createTransferActivities({ pool }: { pool: Pool }) {
  return {
    async transferFunds(input: TransferInput & { idempotencyId: string }): Promise<TransferResult> {
      return withTransaction(pool, (client) => transferIn(client, input));
    },
  };
}
