/** The posting builders (src/domain/postings.ts) and the checks postTransaction runs on them, without the stack. */
import { checkPosting, ledgerStepId, postings, TRANSACTION_TYPES, type Posting } from '../../src/domain/postings';

const built: Record<string, Posting> = {
  deposit: postings.deposit(500n, 'wire 42'),
  topup: postings.topup('1', 500n),
  payment: postings.payment('1', 500n, '77'),
  transfer: postings.transfer('1', '2', 500n, 'rent'),
  refund: postings.refund('1', 500n, '77'),
  hold: postings.hold('1', 500n, '900000001'),
  release: postings.release('1', 500n, '900000001'),
  settle: postings.settle('1', 500n, '900000001'),
  card_topup: postings.card_topup('1', 500n, '800000001'),
  card_clearing: postings.card_clearing(500n, '800000001'),
};

test('every builder returns a posting of its own type that passes the checks', () => {
  for (const [kind, p] of Object.entries(built)) {
    expect(p.type).toBe(kind);
    expect(TRANSACTION_TYPES).toContain(p.type);
    expect(() => checkPosting(p, kind)).not.toThrow();
    expect(p.legs.reduce((s, l) => s + l.amount, 0n)).toBe(0n);
  }
});

test('the legs follow the sign convention: what a posting adds to its account', () => {
  expect(built.topup!.legs).toEqual([{ account: 'wallet', walletId: '1', amount: 500n }, { account: 'funding', amount: -500n }]);
  expect(built.payment!.legs).toEqual([{ account: 'wallet', walletId: '1', amount: -500n }, { account: 'revenue', amount: 500n }]);
  expect(built.refund!.legs).toEqual([{ account: 'revenue', amount: -500n }, { account: 'wallet', walletId: '1', amount: 500n }]);
  expect(built.deposit!.legs).toEqual([{ account: 'settlement', amount: -500n }, { account: 'funding', amount: 500n }]);
  expect(built.hold!.heldDelta).toEqual([{ walletId: '1', amount: 500n }]);
  expect(built.release!.heldDelta).toEqual([{ walletId: '1', amount: -500n }]);
  expect(built.settle!.legs).toEqual([{ account: 'in_flight', amount: -500n }, { account: 'paid_out', amount: 500n }]);
});

test("a hold, its release and its settle carry one reference, the withdrawal's; a payment and its refunds the order's", () => {
  expect(built.hold!.reference).toBe('withdrawal:900000001');
  expect(built.release!.reference).toBe(built.hold!.reference);
  expect(built.settle!.reference).toBe(built.hold!.reference);
  expect(built.payment!.reference).toBe('order:77');
  expect(built.refund!.reference).toBe(built.payment!.reference);
});

test('compensations and money coming back need no active wallet; spending does', () => {
  expect(Object.fromEntries(Object.entries(built).map(([k, p]) => [k, p.requireActive]))).toEqual({
    deposit: false, topup: true, payment: true, transfer: true, refund: false, hold: true, release: false, settle: false,
    card_topup: false, card_clearing: false,
  });
});

test('the checks refuse unbalanced, zero, single-leg, non-positive and settlement-abusing postings', () => {
  const topup = built.topup!;
  expect(() => checkPosting({ ...topup, legs: [{ account: 'wallet', walletId: '1', amount: 10n }, { account: 'funding', amount: -9n }] }, 'x')).toThrow(/sum to 1/);
  expect(() => checkPosting({ ...topup, amount: 0n }, 'x')).toThrow(/positive/);
  expect(() => checkPosting(postings.topup('1', -5n), 'x')).toThrow(/positive/);
  expect(() => checkPosting({ ...topup, legs: [topup.legs[0]!] }, 'x')).toThrow(/two legs/);
  expect(() => checkPosting({ ...topup, legs: [...topup.legs, { account: 'revenue', amount: 0n }] }, 'x')).toThrow(/zero/);
  expect(() => checkPosting({ ...topup, legs: [{ account: 'wallet', walletId: '1', amount: 5n }, { account: 'settlement', amount: -5n }] }, 'x')).toThrow(/only a deposit/);
  expect(() => checkPosting({ ...built.deposit!, legs: [{ account: 'settlement', amount: 5n }, { account: 'funding', amount: -5n }] }, 'x')).toThrow(/settlement to funding/);
  expect(() => checkPosting({ ...built.hold!, heldDelta: [] }, 'x')).toThrow(/in_flight/);
  expect(() => checkPosting({ ...topup, type: 'bogus' as never }, 'x')).toThrow(/unknown transaction type/);
  expect(() => checkPosting({ ...topup, legs: [{ account: 'wallet', walletId: '1', amount: 5n }, { account: 'stripe_clearing', amount: -5n }] }, 'x')).toThrow(/card top-up/);
});

test('every transaction type has a builder, and payment_reversal is gone', () => {
  for (const type of TRANSACTION_TYPES) expect(built[type]).toBeDefined();
  expect(TRANSACTION_TYPES).not.toContain('payment_reversal');
});

test("a card top-up's credit and clearing: wallet from stripe_clearing, then stripe_clearing from stripe_balance, one reference", () => {
  expect(built.card_topup!.legs).toEqual([{ account: 'wallet', walletId: '1', amount: 500n }, { account: 'stripe_clearing', amount: -500n }]);
  expect(built.card_clearing!.legs).toEqual([{ account: 'stripe_clearing', amount: 500n }, { account: 'stripe_balance', amount: -500n }]);
  expect(built.card_topup!.reference).toBe('card_topup:800000001');
  expect(built.card_clearing!.reference).toBe(built.card_topup!.reference);
});

test("an authorization's hold, capture and release carry the order's reference and move held as in_flight", () => {
  const hold = postings.authorizationHold('1', 500n, '77');
  const capture = postings.capture('1', 300n, '77', [{ account: 'in_flight', amount: -300n }, { account: 'revenue', amount: 300n }]);
  const release = postings.authorizationRelease('1', 200n, '77');
  expect([hold.type, capture.type, release.type]).toEqual(['hold', 'payment', 'release']);
  for (const p of [hold, capture, release]) {
    expect(p.reference).toBe('order:77');
    expect(() => checkPosting(p, p.type)).not.toThrow();
  }
  expect([hold.requireActive, capture.requireActive, release.requireActive]).toEqual([true, false, false]);
  expect(capture.heldDelta).toEqual([{ walletId: '1', amount: -300n }]);
  // A capture whose legs do not take what it captures out of in_flight is refused.
  expect(() => checkPosting(postings.capture('1', 300n, '77', [{ account: 'wallet', walletId: '1', amount: -300n }, { account: 'revenue', amount: 300n }]), 'x')).toThrow(/in_flight/);
});

test('ledger step ids are the workflow id and the step', () => {
  expect(ledgerStepId('withdraw-1-key-a', 'hold')).toBe('withdraw-1-key-a:hold');
});

test('fees: a transfer and a hold charge the fee on top to `fees`; a release gives it back; no fee, no leg', () => {
  expect(postings.transfer('1', '2', 500n, null, 10n).legs).toEqual([
    { account: 'wallet', walletId: '1', amount: -510n },
    { account: 'wallet', walletId: '2', amount: 500n },
    { account: 'fees', amount: 10n },
  ]);
  expect(postings.hold('1', 500n, '9', 10n).legs).toEqual([
    { account: 'wallet', walletId: '1', amount: -510n },
    { account: 'in_flight', amount: 500n },
    { account: 'fees', amount: 10n },
  ]);
  expect(postings.release('1', 500n, '9', 10n).legs).toEqual([
    { account: 'in_flight', amount: -500n },
    { account: 'fees', amount: -10n },
    { account: 'wallet', walletId: '1', amount: 510n },
  ]);
  for (const p of [postings.transfer('1', '2', 500n, null, 10n), postings.hold('1', 500n, '9', 10n), postings.release('1', 500n, '9', 10n)]) {
    expect(() => checkPosting(p, p.type)).not.toThrow();
  }
  expect(postings.hold('1', 500n, '9').legs.some((l) => l.account === 'fees')).toBe(false);
});
