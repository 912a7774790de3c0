/** Configuration fails fast naming the variable; .env.example lists every variable with its real default. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_KEYS, loadConfig } from '../../src/config';

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
