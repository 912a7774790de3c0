/**
 * The ledger's postings by name: one builder per kind of money movement, returning the
 * legs (a posting's amount is what it adds to its account) that postTransaction
 * (src/db/ledger.ts) checks with checkPosting before it writes anything. No I/O.
 *
 *   deposit   settlement −x, funding +x           (the merchant's money enters the float)
 *   topup     funding −x, wallet +x
 *   payment   wallet −x, revenue +x               (reference order:<id>)
 *   transfer  source wallet −x, destination +x
 *   refund    revenue −x, wallet +x               (reference order:<id>)
 *   hold      wallet −x (held +x), in_flight +x   (reference withdrawal:<id>)
 *   release   in_flight −x, wallet +x (held −x)   (reference withdrawal:<id>)
 *   settle    in_flight −x, paid_out +x (held −x) (reference withdrawal:<id>)
 *   card_topup     stripe_clearing −x, wallet +x     (reference card_topup:<id>)
 *   card_clearing  stripe_balance −x, stripe_clearing +x (reference card_topup:<id>)
 *   authorization (reference order:<id>, src/activities/authorizations.ts):
 *     authorizationHold     wallet −x (held +x), in_flight +x        (type hold)
 *     capture               in_flight −c, revenue +c (held −c)       (type payment; legs from captureLegs)
 *     authorizationRelease  in_flight −x, wallet +x (held −x)        (type release)
 */

/**
 * Every type a ledger transaction may have: the SQL check on ledger_transactions.type
 * (test/db/ledger.test.ts compares the two), the OpenAPI enum of a wallet's history and
 * the console chart's colours all come from this list.
 */
export const TRANSACTION_TYPES = [
  'topup',
  'payment',
  'transfer',
  'refund',
  'hold',
  'release',
  'settle',
  'deposit',
  /** A card top-up's credit (migration 017). */
  'card_topup',
  /** Stripe's balance transaction of a card top-up became available. */
  'card_clearing',
] as const;
export type TransactionType = (typeof TRANSACTION_TYPES)[number];

/**
 * Accounts without a row (their balance is the sum of their postings). `settlement` is the
 * outside world's side of a deposit (the merchant's bank transfer to the platform): only
 * deposits post to it. `stripe_clearing` and `stripe_balance` are a card top-up's (migration 017):
 * only card_topup and card_clearing post to them. `fees` collects the platform's fees
 * (migration 019): transfer, withdrawal and payment fees are their own legs to it.
 */
export type SystemAccount = 'funding' | 'revenue' | 'in_flight' | 'paid_out' | 'settlement' | 'stripe_clearing' | 'stripe_balance' | 'fees';

export type Leg = { account: 'wallet'; walletId: string; amount: bigint } | { account: SystemAccount; amount: bigint };

/** What a movement posts; the caller adds the idempotency id, environment and currency. */
export interface Posting {
  type: TransactionType;
  /** The movement's size (positive); the legs carry the signs. */
  amount: bigint;
  reference?: string | null;
  legs: Leg[];
  /**
   * User-initiated movements need every touched wallet active. Compensations and money
   * coming back (a release, a refund, a settle) must succeed on a suspended wallet.
   */
  requireActive: boolean;
  /**
   * Change to `held` per wallet: a hold adds, a release or settle subtracts. A wallet
   * named here is locked like a leg's wallet even when no leg touches its balance.
   */
  heldDelta?: { walletId: string; amount: bigint }[];
}

const wallet = (walletId: string, amount: bigint): Leg => ({ account: 'wallet', walletId, amount });
const system = (account: SystemAccount, amount: bigint): Leg => ({ account, amount });
/** A fee's leg to `fees` (none for a zero fee: a leg is never zero). */
const feeLeg = (fee: bigint): Leg[] => (fee !== 0n ? [system('fees', fee)] : []);

/**
 * A ledger step's idempotency id: the workflow id and the step (`topup`, `charge`,
 * `transfer`, `refund`, `hold`, `release`, `settle`). Workflows name each of their steps'
 * ids; whoever ends a withdrawal's hold from outside its workflow (the hold sweeper, an
 * operator's resolve) posts under the id that workflow would have used, so a hold can
 * never be ended twice.
 */
export function ledgerStepId(workflowId: string, step: string): string {
  return `${workflowId}:${step}`;
}

/** The reference of a withdrawal's hold and of the release or settle that ends it. */
export function withdrawalReference(withdrawalId: string): string {
  return `withdrawal:${withdrawalId}`;
}

/** The reference of an order's payment and of its refunds. */
export function orderReference(orderId: string): string {
  return `order:${orderId}`;
}

/** The reference of a card top-up's credit and of its clearing. */
export function cardTopupReference(topupId: string): string {
  return `card_topup:${topupId}`;
}

export const postings = {
  deposit: (amount: bigint, reference: string): Posting => ({
    type: 'deposit', amount, reference, requireActive: false,
    legs: [system('settlement', -amount), system('funding', amount)],
  }),
  topup: (walletId: string, amount: bigint): Posting => ({
    type: 'topup', amount, requireActive: true,
    legs: [wallet(walletId, amount), system('funding', -amount)],
  }),
  /** `legs`: a payment with a fee or splits (domain/fees.ts paymentLegs); default wallet → revenue. */
  payment: (walletId: string, amount: bigint, orderId: string, legs: Leg[] = [wallet(walletId, -amount), system('revenue', amount)]): Posting => ({
    type: 'payment', amount, reference: orderReference(orderId), requireActive: true,
    legs,
  }),
  /** The transfer fee (if any) is charged to the source on top of the amount. */
  transfer: (fromWalletId: string, toWalletId: string, amount: bigint, reference: string | null, fee = 0n): Posting => ({
    type: 'transfer', amount, reference, requireActive: true,
    legs: [wallet(fromWalletId, -(amount + fee)), wallet(toWalletId, amount), ...feeLeg(fee)],
  }),
  /** Lands on a suspended wallet too (the user just cannot spend it); the caller refuses a closed one. */
  refund: (walletId: string, amount: bigint, orderId: string, legs: Leg[] = [system('revenue', -amount), wallet(walletId, amount)]): Posting => ({
    type: 'refund', amount, reference: orderReference(orderId), requireActive: false,
    legs,
  }),
  /** The withdrawal fee (if any) is charged with the hold, on top of the amount; a release gives it back. */
  hold: (walletId: string, amount: bigint, withdrawalId: string, fee = 0n): Posting => ({
    type: 'hold', amount, reference: withdrawalReference(withdrawalId), requireActive: true,
    legs: [wallet(walletId, -(amount + fee)), system('in_flight', amount), ...feeLeg(fee)],
    heldDelta: [{ walletId, amount }],
  }),
  release: (walletId: string, amount: bigint, withdrawalId: string, fee = 0n): Posting => ({
    type: 'release', amount, reference: withdrawalReference(withdrawalId), requireActive: false,
    legs: [system('in_flight', -amount), ...feeLeg(-fee), wallet(walletId, amount + fee)],
    heldDelta: [{ walletId, amount: -amount }],
  }),
  settle: (walletId: string, amount: bigint, withdrawalId: string): Posting => ({
    type: 'settle', amount, reference: withdrawalReference(withdrawalId), requireActive: false,
    legs: [system('in_flight', -amount), system('paid_out', amount)],
    heldDelta: [{ walletId, amount: -amount }],
  }),
  /** Runs on a suspended wallet too; the card top-up's activity refuses a closed one. */
  card_topup: (walletId: string, amount: bigint, topupId: string): Posting => ({
    type: 'card_topup', amount, reference: cardTopupReference(topupId), requireActive: false,
    legs: [wallet(walletId, amount), system('stripe_clearing', -amount)],
  }),
  card_clearing: (amount: bigint, topupId: string): Posting => ({
    type: 'card_clearing', amount, reference: cardTopupReference(topupId), requireActive: false,
    legs: [system('stripe_clearing', amount), system('stripe_balance', -amount)],
  }),
  /** An authorization's hold (authorize now, capture later): the withdrawal's hold under the order's reference. */
  authorizationHold: (walletId: string, amount: bigint, orderId: string): Posting => ({
    type: 'hold', amount, reference: orderReference(orderId), requireActive: true,
    legs: [wallet(walletId, -amount), system('in_flight', amount)],
    heldDelta: [{ walletId, amount }],
  }),
  /**
   * A capture of `amount` from an authorization's hold: `legs` (captureLegs, the one place
   * a capture's legs are built) take it out of in_flight; runs on a suspended wallet too.
   */
  capture: (walletId: string, amount: bigint, orderId: string, legs: Leg[]): Posting => ({
    type: 'payment', amount, reference: orderReference(orderId), requireActive: false,
    legs,
    heldDelta: [{ walletId, amount: -amount }],
  }),
  /** What an authorization holds and does not capture (a void, a partial capture's rest), back to the wallet. */
  authorizationRelease: (walletId: string, amount: bigint, orderId: string): Posting => ({
    type: 'release', amount, reference: orderReference(orderId), requireActive: false,
    legs: [system('in_flight', -amount), wallet(walletId, amount)],
    heldDelta: [{ walletId, amount: -amount }],
  }),
} satisfies Record<string, (...args: never[]) => Posting>;

/** Every transaction type has its builder (tsc fails here when a type is added without one). */
const everyTypeBuilt: Record<TransactionType, unknown> = postings;
void everyTypeBuilt;

/**
 * A posting's own rules, checked before anything is written (a programming error, not a
 * client's: these throw plain Errors). Positive amount, at least two non-zero legs summing
 * to zero; only a deposit touches settlement, and only as settlement → funding; `held`
 * changes exactly as in_flight does (the invariant sum(held) = in_flight). One currency:
 * the request names one, and postTransaction refuses a wallet of another.
 */
export function checkPosting(p: Posting, name: string): void {
  if (!TRANSACTION_TYPES.includes(p.type)) throw new Error(`${name}: unknown transaction type ${p.type}`);
  if (p.amount <= 0n) throw new Error('posting amount must be positive');
  if (p.legs.length < 2) throw new Error('a transaction needs at least two legs');
  if (p.legs.some((l) => l.amount === 0n)) throw new Error('a leg cannot be zero');
  const sum = p.legs.reduce((s, l) => s + l.amount, 0n);
  if (sum !== 0n) throw new Error(`legs of ${name} sum to ${sum}, not zero`);
  if (p.type === 'deposit') {
    const ok =
      p.legs.length === 2 &&
      p.legs.some((l) => l.account === 'settlement' && l.amount < 0n) &&
      p.legs.some((l) => l.account === 'funding' && l.amount > 0n);
    if (!ok) throw new Error(`${name}: a deposit moves money from settlement to funding only`);
  } else if (p.legs.some((l) => l.account === 'settlement')) {
    throw new Error(`${name}: only a deposit posts to settlement`);
  }
  const card = p.type === 'card_topup' || p.type === 'card_clearing';
  if (!card && p.legs.some((l) => l.account === 'stripe_clearing' || l.account === 'stripe_balance')) {
    throw new Error(`${name}: only a card top-up and its clearing post to stripe_clearing or stripe_balance`);
  }
  const heldTotal = (p.heldDelta ?? []).reduce((s, d) => s + d.amount, 0n);
  const flightTotal = p.legs.reduce((s, l) => (l.account === 'in_flight' ? s + l.amount : s), 0n);
  if (heldTotal !== flightTotal) throw new Error(`${name}: held changes by ${heldTotal} but in_flight by ${flightTotal}`);
}
