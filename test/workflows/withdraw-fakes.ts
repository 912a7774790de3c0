/**
 * In-memory stand-ins for the withdraw workflow's activities: a tiny ledger (wallet
 * balance and held, in_flight, paid_out, each posting idempotent by its id) and a
 * Stripe that dedupes by idempotency key, as the real one does. Tests script failures
 * through `world.failures` and read what happened from `world`.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../src/activities';
import type { Withdrawal, WithdrawalStatus } from '../../src/domain/withdrawals';

export interface World {
  balance: bigint;
  held: bigint;
  inFlight: bigint;
  paidOut: bigint;
  postings: Set<string>;
  withdrawal: Withdrawal | null;
  steps: string[];
  /** Every Stripe call as made (retries included): name and idempotency key. */
  calls: { name: string; key?: string }[];
  /** Objects Stripe created, by idempotency key: a retry with the same key creates nothing new. */
  created: Map<string, string>;
  payoutsEnabled: boolean;
  polledStatus: string;
  failures: Partial<Record<'transfer500' | 'transferRefused' | 'payoutRefused' | 'insufficientFunds' | 'reversalRefused', number>>;
  /** Why the withdrawal was handed to an operator, if it was. */
  attention: string | null;
}

export function newWorld(balance = 10_000n): World {
  return {
    balance,
    held: 0n,
    inFlight: 0n,
    paidOut: 0n,
    postings: new Set(),
    withdrawal: null,
    steps: [],
    calls: [],
    created: new Map(),
    payoutsEnabled: false,
    polledStatus: 'in_transit',
    failures: {},
    attention: null,
  };
}

/** The ledger is exact: money is in the wallet, held in flight, or paid out, and held tracks in_flight. */
export function expectExact(w: World, start: bigint): void {
  expect(w.held).toBe(w.inFlight);
  expect(w.balance + w.inFlight + w.paidOut).toBe(start);
  expect(w.balance >= 0n).toBe(true);
}

function refusal(message: string) {
  return ApplicationFailure.create({ type: 'provider_error', message, nonRetryable: true });
}

function consume(w: World, failure: keyof World['failures']): boolean {
  const left = w.failures[failure] ?? 0;
  if (left <= 0) return false;
  w.failures[failure] = left - 1;
  return true;
}

export function fakeActivities(get: () => World): Activities {
  const stripeCreate = (name: string, key: string, prefix: string) => {
    const w = get();
    w.calls.push({ name, key });
    if (!w.created.has(key)) w.created.set(key, `${prefix}_${w.created.size + 1}`);
    return w.created.get(key)!;
  };
  const fakes: Partial<Activities> = {
    async holdWithdrawal(input) {
      const w = get();
      if (consume(w, 'insufficientFunds') || BigInt(input.amount) > w.balance) {
        throw ApplicationFailure.create({ type: 'insufficient_funds', message: 'insufficient funds', nonRetryable: true });
      }
      if (!w.postings.has(`${input.workflowId}:hold`)) {
        w.postings.add(`${input.workflowId}:hold`);
        w.balance -= BigInt(input.amount);
        w.held += BigInt(input.amount);
        w.inFlight += BigInt(input.amount);
        w.steps.push('funds_held');
      }
      w.withdrawal ??= {
        id: '700000001',
        envId: input.envId,
        walletId: input.walletId,
        userId: input.userId,
        amount: input.amount,
        fee: '0',
        currency: input.currency,
        status: 'awaiting_onboarding',
        workflowId: input.workflowId,
        stripeAccountId: null,
        stripeTransferId: null,
        stripePayoutId: null,
        failureCode: null,
        failureMessage: null,
        createdAt: new Date().toISOString(),
        updatedAt: new Date().toISOString(),
      };
      return { withdrawal: w.withdrawal, wallet: {} as never };
    },
    async recordWithdrawal(input) {
      const w = get();
      w.steps.push(input.step);
      if (input.change?.status) w.withdrawal!.status = input.change.status;
      return w.withdrawal!;
    },
    async finishWithdrawal(input) {
      const w = get();
      const id = `${w.withdrawal!.workflowId}:${input.outcome}`;
      if (!w.postings.has(id)) {
        w.postings.add(id);
        const amount = BigInt(w.withdrawal!.amount);
        w.held -= amount;
        w.inFlight -= amount;
        if (input.outcome === 'release') w.balance += amount;
        else w.paidOut += amount;
        w.steps.push(input.step);
      }
      w.withdrawal!.status = input.status as WithdrawalStatus;
      w.withdrawal!.failureCode = input.failureCode ?? null;
      return w.withdrawal!;
    },
    async markWithdrawalNeedsAttention(input) {
      const w = get();
      w.steps.push(input.step);
      w.attention = input.reason;
      w.withdrawal!.status = 'needs_attention';
      w.withdrawal!.failureCode = input.failureCode ?? input.reason;
      return w.withdrawal!;
    },
    async ensureConnectedAccount(input) {
      return { accountId: stripeCreate('accounts.create', `account:${input.envId}:${input.userId}`, 'acct'), payoutsEnabled: get().payoutsEnabled };
    },
    async createOnboardingLink(input) {
      return { url: `https://connect.stripe.test/setup/${stripeCreate('accountLinks.create', input.idempotencyKey, 'link')}` };
    },
    async createDashboardLink(input) {
      return { url: `https://connect.stripe.test/express/${stripeCreate('accounts.createLoginLink', input.idempotencyKey, 'login')}` };
    },
    async createTransfer(input) {
      const w = get();
      if (consume(w, 'transferRefused')) {
        w.calls.push({ name: 'transfers.create', key: input.idempotencyKey });
        throw refusal('insufficient platform balance');
      }
      if (consume(w, 'transfer500')) {
        // The request reached Stripe and created the transfer, but the answer was a 500.
        stripeCreate('transfers.create', input.idempotencyKey, 'tr');
        throw ApplicationFailure.create({ type: 'stripe_unavailable', message: 'Stripe unavailable: 500' });
      }
      return { transferId: stripeCreate('transfers.create', input.idempotencyKey, 'tr') };
    },
    async createPayout(input) {
      const w = get();
      if (consume(w, 'payoutRefused')) {
        w.calls.push({ name: 'payouts.create', key: input.idempotencyKey });
        throw refusal('no external account');
      }
      return { payoutId: stripeCreate('payouts.create', input.idempotencyKey, 'po') };
    },
    async retrievePayout() {
      const w = get();
      w.calls.push({ name: 'payouts.retrieve' });
      return { status: w.polledStatus, failureCode: w.polledStatus === 'failed' ? 'account_closed' : null, failureMessage: null };
    },
    async reverseTransfer(input) {
      const w = get();
      if (consume(w, 'reversalRefused')) {
        w.calls.push({ name: 'transfers.createReversal', key: input.idempotencyKey });
        throw refusal('the transfer was already paid out: nothing to reverse');
      }
      return { reversalId: stripeCreate('transfers.createReversal', input.idempotencyKey, 'trr') };
    },
  };
  return fakes as Activities;
}

export function callsOf(w: World, name: string) {
  return w.calls.filter((c) => c.name === name);
}
