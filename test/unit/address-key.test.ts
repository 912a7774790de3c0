import { addressKey } from '../../src/api/address-rate-limit';

test('per-address budgets: IPv6 per /64, IPv4-mapped as IPv4, IPv4 as is', () => {
  expect(addressKey('2001:db8:1:2::1')).toBe(addressKey('2001:db8:1:2:ffff:ffff:ffff:fffe'));
  expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
  expect(addressKey('[2001:db8:1:2::1]')).toBe(addressKey('2001:db8:1:2::5'));
  expect(addressKey('::ffff:198.51.100.7')).toBe('198.51.100.7');
  expect(addressKey('198.51.100.7')).toBe('198.51.100.7');
  expect(addressKey('198.51.100.7')).not.toBe(addressKey('198.51.100.8'));
  expect(addressKey('unknown')).toBe('unknown');
});
