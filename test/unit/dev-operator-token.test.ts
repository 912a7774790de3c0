/** `npm run dev` turns the operator console on by itself on loopback (src/dev-env.ts). */
import { loadConfig } from '../../src/config';
import { devOperatorToken } from '../../src/dev-env';

test('on loopback without OPERATOR_TOKEN: a fresh token each run that the config accepts', () => {
  const a = devOperatorToken({});
  const b = devOperatorToken({ HOST: '127.0.0.1' });
  expect(a.generated).toBe(true);
  expect(a.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  expect(b.token).not.toBe(a.token);
  expect(loadConfig({ DATABASE_URL: 'postgres://localhost/x', OPERATOR_TOKEN: a.token }).OPERATOR_TOKEN).toBe(a.token);
});

test('a configured token is kept; a non-loopback HOST gets none', () => {
  expect(devOperatorToken({ OPERATOR_TOKEN: 'chosen-token-0123456789' })).toEqual({ token: 'chosen-token-0123456789', generated: false });
  expect(devOperatorToken({ HOST: '0.0.0.0' })).toEqual({ token: undefined, generated: false });
});
