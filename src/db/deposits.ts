/**
 * Deposits: what a merchant pays the platform to back its wallets. A deposit is an
 * ordinary ledger transaction (type `deposit`: settlement −x, funding +x) written by
 * postTransaction, so it shows in the ledger's history and `ledger verify`, and it raises
 * the environment's funding float that topups draw down.
 */
import { postings } from '../domain/postings';
import type { Currency } from '../domain/money';
import { postTransaction } from './ledger';
import { withTransaction, type Pool, type PoolClient } from './pool';
import type { SigningKeyCipher } from '../signing-keys';
import { createEnvironment } from './queries/environments';
import { getFunding, type Funding } from './queries/funding';

export interface DepositRequest {
  envId: string;
  currency: Currency;
  /** Minor units, positive. */
  amount: bigint;
  /** The same id never deposits twice (an operator's retried command, a re-run seed). */
  idempotencyId: string;
  reference?: string | null;
}

export interface DepositResult {
  transactionId: string;
  replayed: boolean;
  funding: Funding;
}

/** Records the deposit inside the caller's SQL transaction. */
export async function recordDeposit(client: PoolClient, d: DepositRequest): Promise<DepositResult> {
  const posted = await postTransaction(client, {
    idempotencyId: d.idempotencyId,
    envId: d.envId,
    currency: d.currency,
    ...postings.deposit(d.amount, d.reference ?? 'deposit'),
  });
  return { transactionId: posted.transactionId, replayed: posted.replayed, funding: (await getFunding(client, d.envId, d.currency))! };
}

export function deposit(pool: Pool, d: DepositRequest): Promise<DepositResult> {
  return withTransaction(pool, (client) => recordDeposit(client, d));
}

export interface InitialFloat {
  currency: Currency;
  /** Minor units; zero records nothing. */
  amount: bigint;
}

/**
 * Creates an environment and records its initial float (one deposit per currency) in one
 * commit: there is no instant where the environment exists with less than it was given.
 */
export async function createFundedEnvironment(
  pool: Pool,
  name: string,
  floats: InitialFloat[],
  opts: { id?: string; secret?: string; cipher?: SigningKeyCipher } = {},
): Promise<{ id: string; secret: string }> {
  return withTransaction(pool, async (client) => {
    const env = await createEnvironment(client, name, opts);
    for (const f of floats) {
      if (f.amount <= 0n) continue;
      await recordDeposit(client, {
        envId: env.id,
        currency: f.currency,
        amount: f.amount,
        idempotencyId: `deposit:${env.id}:initial-float:${f.currency}`,
        reference: 'initial float',
      });
    }
    return env;
  });
}
