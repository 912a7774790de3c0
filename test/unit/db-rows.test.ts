import { camelize } from '../../src/db/rows';
import { newestFirstPage, setGiven } from '../../src/db/sql';

describe('camelize (a fetched row in the domain shape)', () => {
  test('renames every column to camelCase and turns Dates into ISO strings, other values as they are', () => {
    const at = new Date('2026-03-04T05:06:07.891Z');
    const row = {
      id: '7',
      stripe_fee_currency: 'USD',
      expires_at: null,
      created_at: at,
      item_count: 3,
      splits: [{ walletId: '2', amount: '10', fee: '0' }],
    };
    expect(camelize(row)).toStrictEqual({
      id: '7',
      stripeFeeCurrency: 'USD',
      expiresAt: null,
      createdAt: '2026-03-04T05:06:07.891Z',
      itemCount: 3,
      splits: [{ walletId: '2', amount: '10', fee: '0' }],
    });
  });

  test('carries no column the row does not have', () => {
    expect(Object.keys(camelize({ env_id: '1', user_id: 'u' }))).toEqual(['envId', 'userId']);
  });
});

describe('setGiven (a partial update)', () => {
  test('one coalesce per column, numbered from the first placeholder, values not given as null', () => {
    const { set, params } = setGiven({ status: 'paid', stripe_payout_id: undefined, failure_code: null }, 5);
    expect(set.split(/,\n/).map((s) => s.trim())).toEqual([
      'status = coalesce($5, status)',
      'stripe_payout_id = coalesce($6, stripe_payout_id)',
      'failure_code = coalesce($7, failure_code)',
    ]);
    expect(params).toEqual(['paid', null, null]);
  });
});

test('newestFirstPage names its two placeholders', () => {
  expect(newestFirstPage({ before: 3, limit: 4 })).toBe('($3::bigint is null or id < $3) order by id desc limit $4');
});
