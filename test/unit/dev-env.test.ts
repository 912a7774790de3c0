import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devEnvFile, removeDevEnv, withDevEnv, writeDevEnv } from '../../src/dev-env';

const dir = () => mkdtempSync(join(tmpdir(), 'dev-env-'));

test('scripts without DATABASE_URL get the parts a running npm run dev picked', () => {
  const d = dir();
  writeDevEnv(d, { DATABASE_URL: 'postgres://dev/db', TEMPORAL_ADDRESS: '127.0.0.1:7233', OTHER: 'x' });
  const env = withDevEnv({ TEMPORAL_ADDRESS: 'mine:7233' }, d);
  expect(env.DATABASE_URL).toBe('postgres://dev/db');
  expect(env.TEMPORAL_ADDRESS).toBe('mine:7233'); // what the caller set wins
  expect(env.OTHER).toBeUndefined(); // only the picked parts are written
});

test('a DATABASE_URL given, no file, or a file of a dev run that has ended: nothing is taken', () => {
  const d = dir();
  expect(withDevEnv({}, d)).toEqual({});
  writeDevEnv(d, { DATABASE_URL: 'postgres://dev/db' });
  expect(withDevEnv({ DATABASE_URL: 'postgres://given/db' }, d).DATABASE_URL).toBe('postgres://given/db');
  writeFileSync(devEnvFile(d), JSON.stringify({ pid: 2 ** 22 + 1, DATABASE_URL: 'postgres://gone/db' }));
  expect(withDevEnv({}, d).DATABASE_URL).toBeUndefined();
  removeDevEnv(d);
  expect(withDevEnv({}, d).DATABASE_URL).toBeUndefined();
});
