/**
 * A batch item's pre-checks (src/domain/batch.ts `resolveBatchItem`, with the transfer
 * checks of src/domain/transfers.ts it shares with POST /wallet/transfer): the single
 * routes' refusals, in their order, and the activity input each item posts with.
 */
import { resolveBatchItem } from '../../src/domain/batch';
import { DomainError } from '../../src/domain/errors';
import type { Wallet } from '../../src/domain/types';

const wallet = (id: string, userId: string, currency: Wallet['currency'] = 'USD'): Wallet => ({
  id, envId: '5', userId, currency, status: 'active', balance: '0', held: '0', createdAt: '2026-01-01T00:00:00Z',
});
const wallets = new Map([wallet('1', 'alice'), wallet('2', 'bob'), wallet('3', 'alice', 'EUR'), wallet('4', 'carol', 'JPY')].map((w) => [w.id, w]));
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return { code: err.code, message: err.message, details: err.details };
    throw err;
  }
  throw new Error('not refused');
};

test('a topup and a payment post on the user’s wallet, in its currency, with the item’s idempotency ids', () => {
  expect(resolveBatchItem({ type: 'topup', user_id: 'alice', wallet_id: '1', amount: '12.10' }, '5', wallets, 'wf:item-0')).toEqual({
    type: 'topup',
    input: { envId: '5', walletId: '1', amount: '1210', currency: 'USD', idempotencyId: 'wf:item-0:topup' },
  });
  expect(resolveBatchItem({ type: 'payment', user_id: 'carol', wallet_id: '4', amount: '500', product_id: 'p' }, '5', wallets, 'wf:item-1')).toEqual({
    type: 'payment',
    input: { envId: '5', walletId: '4', userId: 'carol', productId: 'p', amount: '500', currency: 'JPY', workflowId: 'wf:item-1', idempotencyId: 'wf:item-1:charge' },
  });
});

test('a transfer names both wallets; its reference is null when absent', () => {
  expect(resolveBatchItem({ type: 'transfer', user_id: 'alice', wallet_id: '1', to_wallet_id: '2', amount: '1' }, '5', wallets, 'wf:item-2')).toEqual({
    type: 'transfer',
    input: { envId: '5', fromWalletId: '1', toWalletId: '2', amount: '100', currency: 'USD', reference: null, idempotencyId: 'wf:item-2:transfer' },
  });
});

test('another user’s wallet, or an unknown one, is not_found', () => {
  expect(refusal(() => resolveBatchItem({ type: 'topup', user_id: 'bob', wallet_id: '1', amount: '1' }, '5', wallets, 'i'))).toEqual({
    code: 'not_found', message: 'wallet 1 not found for user bob', details: { wallet_id: '1' },
  });
  expect(refusal(() => resolveBatchItem({ type: 'payment', user_id: 'alice', wallet_id: '9', amount: '1', product_id: 'p' }, '5', wallets, 'i')).code).toBe('not_found');
});

test('a transfer to itself is refused first, even on a wallet that does not exist', () => {
  expect(refusal(() => resolveBatchItem({ type: 'transfer', user_id: 'x', wallet_id: '9', to_wallet_id: '9', amount: 'bad' }, '5', wallets, 'i'))).toEqual({
    code: 'invalid_request', message: 'to_wallet_id must be another wallet than wallet_id', details: { field: 'to_wallet_id' },
  });
});

test('a transfer to an unknown wallet is not_found, to another currency currency_mismatch, both before the amount is read', () => {
  expect(refusal(() => resolveBatchItem({ type: 'transfer', user_id: 'alice', wallet_id: '1', to_wallet_id: '9', amount: 'bad' }, '5', wallets, 'i'))).toEqual({
    code: 'not_found', message: 'wallet 9 not found', details: { wallet_id: '9' },
  });
  expect(refusal(() => resolveBatchItem({ type: 'transfer', user_id: 'alice', wallet_id: '1', to_wallet_id: '3', amount: 'bad' }, '5', wallets, 'i'))).toEqual({
    code: 'currency_mismatch', message: 'wallet 3 holds EUR, not USD', details: { wallet_id: '3', wallet_currency: 'EUR', currency: 'USD' },
  });
});

test('an amount with more decimals than the currency has is invalid_request', () => {
  expect(refusal(() => resolveBatchItem({ type: 'topup', user_id: 'carol', wallet_id: '4', amount: '1.5' }, '5', wallets, 'i')).code).toBe('invalid_request');
  expect(refusal(() => resolveBatchItem({ type: 'transfer', user_id: 'alice', wallet_id: '1', to_wallet_id: '2', amount: '0.001' }, '5', wallets, 'i')).code).toBe('invalid_request');
});
