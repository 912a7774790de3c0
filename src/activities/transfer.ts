/**
 * Transfer between two wallets of one environment and currency: one posting, one
 * SQL transaction with its outbox event. postTransaction locks both wallets in
 * ascending id order, so opposite transfers between the same pair cannot deadlock.
 * The environment's transfer fee (if any) is charged to the sender on top of the amount.
 */
import { DomainError } from '../domain/errors';
import { postings } from '../domain/postings';
import type { TransferInput, TransferResult } from '../domain/types';
import { money } from '../wire/money';
import { presentWallet } from '../wire/present';
import { postTransaction } from '../db/ledger';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import { recordEvent } from '../db/queries/outbox';
import { feePostedBy, getFeeRule, recordFeePayers } from '../db/queries/fees';
import { computeFee } from '../domain/fees';

/** A transfer's posting and its outbox event, inside the caller's SQL transaction (transferFunds, batches). */
export async function transferIn(client: PoolClient, input: TransferInput & { idempotencyId: string }): Promise<TransferResult> {
  if (input.fromWalletId === input.toWalletId) {
    throw new DomainError('invalid_request', 'a wallet cannot transfer to itself', { wallet_id: input.fromWalletId });
  }
  const amount = BigInt(input.amount);
  // The sender pays the fee on top of the amount, to the `fees` account, in the same
  // ledger transaction (insufficient_funds when amount + fee is not there).
  const fee = computeFee(amount, await getFeeRule(client, input.envId, input.currency, 'transfer'));
  const posted = await postTransaction(client, {
    idempotencyId: input.idempotencyId,
    envId: input.envId,
    currency: input.currency,
    ...postings.transfer(input.fromWalletId, input.toWalletId, amount, input.reference, fee),
  });
  // A replay answers with the fee it posted then (the schedule may have changed since).
  const charged = posted.replayed ? await feePostedBy(client, posted.transactionId) : fee;
  if (!posted.replayed) await recordFeePayers(client, posted.transactionId, [{ walletId: input.fromWalletId, amount: fee }]);
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
    fee: charged.toString(),
  };
  if (!posted.replayed) {
    await recordEvent(client, input.envId, 'transfer.completed', {
      transfer_id: transfer.id,
      from_wallet_id: transfer.fromWalletId,
      to_wallet_id: transfer.toWalletId,
      amount: money(amount, input.currency),
      fee: money(fee, input.currency),
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
