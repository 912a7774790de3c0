/** Configuration fails fast naming the variable; .env.example lists every variable with its real default. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_KEYS, DEV_SECRETS_PEPPER, isLoopbackHost, loadConfig } from '../../src/config';

const ROOT = join(__dirname, '../..');

function example(): Map<string, string | null> {
  const vars = new Map<string, string | null>();
  for (const line of readFileSync(join(ROOT, '.env.example'), 'utf8').split('\n')) {
    const set = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    const commented = /^# ([A-Z][A-Z0-9_]*)=/.exec(line);
    if (set) vars.set(set[1]!, set[2]!);
    else if (commented) vars.set(commented[1]!, null);
  }
  return vars;
}

test('.env.example lists exactly the variables the configuration reads', () => {
  expect([...example().keys()].sort()).toEqual([...CONFIG_KEYS].sort());
});

test(".env.example's values are the defaults (and parse)", () => {
  const vars = example();
  const given = Object.fromEntries([...vars].filter(([, v]) => v !== null)) as Record<string, string>;
  const fromExample = loadConfig(given);
  const defaults = loadConfig({ DATABASE_URL: given.DATABASE_URL });
  expect(fromExample).toEqual(defaults);
});

test('a missing or malformed variable stops the start with its name', () => {
  expect(() => loadConfig({})).toThrow(/DATABASE_URL/);
  expect(() => loadConfig({ DATABASE_URL: 'postgres://x/y', PORT: 'eighty' })).toThrow(/PORT/);
  expect(() => loadConfig({ DATABASE_URL: 'postgres://x/y', OPERATOR_TOKEN: 'short' })).toThrow(/OPERATOR_TOKEN.*16/);
  expect(() => loadConfig({ DATABASE_URL: 'postgres://x/y', OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  expect(() => loadConfig({ DATABASE_URL: 'postgres://x/y', LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  expect(() => loadConfig({ DATABASE_URL: 'postgres://x/y', DEFAULT_FUNDING_LIMIT: '-5' })).toThrow(/DEFAULT_FUNDING_LIMIT/);
  expect(() => loadConfig({ DATABASE_URL: 'postgres://x/y', DEFAULT_FUNDING_LIMIT: '1e9' })).toThrow(/DEFAULT_FUNDING_LIMIT/);
  expect(() => loadConfig({ DATABASE_URL: 'postgres://x/y', WITHDRAWAL_LIMIT_SHARE: '-0.1' })).toThrow(/WITHDRAWAL_LIMIT_SHARE/);
  expect(loadConfig({ DATABASE_URL: 'postgres://x/y', DEFAULT_FUNDING_LIMIT: '5000.00', WITHDRAWAL_LIMIT_SHARE: '0.5' })).toMatchObject({
    DEFAULT_FUNDING_LIMIT: '5000.00',
    WITHDRAWAL_LIMIT_SHARE: 0.5,
  });
});

// Issue 10, section 6: defaults that fail open.
const db = { DATABASE_URL: 'postgres://x/y' };

test('a real STRIPE_SECRET_KEY without STRIPE_WEBHOOK_SECRET stops the start, whatever NODE_ENV says', () => {
  for (const NODE_ENV of [undefined, 'development', 'test', 'production']) {
    for (const STRIPE_SECRET_KEY of ['sk_test_51abc', 'sk_live_51abc']) {
      const env = { ...db, SECRETS_PEPPER: 'p'.repeat(32), STRIPE_SECRET_KEY, ...(NODE_ENV ? { NODE_ENV } : {}) };
      expect(() => loadConfig(env)).toThrow(/STRIPE_WEBHOOK_SECRET.*STRIPE_SECRET_KEY/);
      expect(loadConfig({ ...env, STRIPE_WEBHOOK_SECRET: 'whsec_real' }).STRIPE_WEBHOOK_SECRET).toBe('whsec_real');
    }
  }
  // stripe-mock (no key): the dev webhook secret stays the default outside production.
  expect(loadConfig(db).STRIPE_WEBHOOK_SECRET).toMatch(/^whsec_paynocchio_dev/);
});

test('/metrics beyond loopback needs METRICS_TOKEN: the start fails naming it', () => {
  const token = { METRICS_TOKEN: 't'.repeat(16) };
  for (const HOST of ['0.0.0.0', '::', '10.0.0.5', 'api.internal']) {
    expect(() => loadConfig({ ...db, HOST })).toThrow(/METRICS_TOKEN.*HOST/);
    expect(loadConfig({ ...db, HOST, ...token, SECRETS_PEPPER: 'p'.repeat(32) }).HOST).toBe(HOST);
  }
  for (const HOST of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.0.0.2']) expect(loadConfig({ ...db, HOST }).HOST).toBe(HOST);
  expect(() => loadConfig({ ...db, WORKER_METRICS_HOST: '0.0.0.0' })).toThrow(/METRICS_TOKEN.*WORKER_METRICS_HOST/);
  expect(loadConfig({ ...db, WORKER_METRICS_HOST: '0.0.0.0', WORKER_METRICS_PORT: '0' }).WORKER_METRICS_PORT).toBe(0);
  expect(loadConfig({ ...db, WORKER_METRICS_HOST: '0.0.0.0', ...token }).METRICS_TOKEN).toBe(token.METRICS_TOKEN);
  expect(isLoopbackHost('127.0.0.1.example.com')).toBe(false);
});

test('SECRETS_PEPPER: required in production and with a live Stripe key, a fixed dev value elsewhere', () => {
  expect(() => loadConfig({ ...db, NODE_ENV: 'production' })).toThrow(/SECRETS_PEPPER/);
  expect(() => loadConfig({ ...db, STRIPE_SECRET_KEY: 'sk_live_x', STRIPE_WEBHOOK_SECRET: 'whsec_x' })).toThrow(/SECRETS_PEPPER/);
  expect(() => loadConfig({ ...db, SECRETS_PEPPER: 'short' })).toThrow(/SECRETS_PEPPER.*32/);
  expect(loadConfig({ ...db, NODE_ENV: 'production', SECRETS_PEPPER: 'p'.repeat(32) }).SECRETS_PEPPER).toBe('p'.repeat(32));
  expect(loadConfig(db).SECRETS_PEPPER).toBe(DEV_SECRETS_PEPPER);
  // The dev pepper is public: not with a real Stripe account (test mode included) nor an API
  // reachable beyond loopback, and never as an explicit value there either.
  const stripe = { STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_WEBHOOK_SECRET: 'whsec_x' };
  expect(() => loadConfig({ ...db, ...stripe })).toThrow(/SECRETS_PEPPER.*STRIPE_SECRET_KEY/);
  expect(() => loadConfig({ ...db, HOST: '0.0.0.0', METRICS_TOKEN: 't'.repeat(16) })).toThrow(/SECRETS_PEPPER.*HOST=0.0.0.0/);
  expect(() => loadConfig({ ...db, NODE_ENV: 'production', SECRETS_PEPPER: DEV_SECRETS_PEPPER })).toThrow(/SECRETS_PEPPER.*dev value/);
  expect(loadConfig({ ...db, ...stripe, SECRETS_PEPPER: 'p'.repeat(32) }).SECRETS_PEPPER).toBe('p'.repeat(32));
});

test('the failed-authentication throttle is configurable and on by default', () => {
  expect(loadConfig(db)).toMatchObject({ AUTH_FAILURES_PER_ADDRESS: 20, AUTH_FAILURE_WINDOW_SECONDS: 60 });
  expect(loadConfig({ ...db, AUTH_FAILURES_PER_ADDRESS: '0' }).AUTH_FAILURES_PER_ADDRESS).toBe(0);
  expect(() => loadConfig({ ...db, AUTH_FAILURE_WINDOW_SECONDS: '0' })).toThrow(/AUTH_FAILURE_WINDOW_SECONDS/);
  for (const ok of ['1', 'loopback', '10.0.0.0/8, 192.168.1.7', 'fd00::/8,uniquelocal']) expect(loadConfig({ ...db, TRUST_PROXY: ok }).TRUST_PROXY).toBe(ok);
  // `true` would trust any X-Forwarded-For: a client could pick its own address.
  for (const bad of ['true', '10.0.0.0/33', 'proxy.internal']) expect(() => loadConfig({ ...db, TRUST_PROXY: bad })).toThrow(/TRUST_PROXY/);
});

test('RECONCILE_EVERY and RECONCILE_LOOKBACK read durations (1h, 30m, 7d; 0/off turns the schedule off) and refuse nonsense', () => {
  expect(loadConfig(db)).toMatchObject({ RECONCILE_EVERY: 3600_000, RECONCILE_LOOKBACK: 7 * 86_400_000 });
  expect(loadConfig({ ...db, RECONCILE_EVERY: '30m', RECONCILE_LOOKBACK: '2d' })).toMatchObject({ RECONCILE_EVERY: 1_800_000, RECONCILE_LOOKBACK: 172_800_000 });
  expect(loadConfig({ ...db, RECONCILE_EVERY: 'off' }).RECONCILE_EVERY).toBe(0);
  expect(loadConfig({ ...db, RECONCILE_EVERY: '0' }).RECONCILE_EVERY).toBe(0);
  expect(() => loadConfig({ ...db, RECONCILE_EVERY: 'hourly' })).toThrow(/RECONCILE_EVERY/);
  expect(() => loadConfig({ ...db, RECONCILE_EVERY: '10s' })).toThrow(/RECONCILE_EVERY.*1m/);
  expect(() => loadConfig({ ...db, RECONCILE_LOOKBACK: '0' })).toThrow(/RECONCILE_LOOKBACK/);
});
