/**
 * `npm run env:create -- --name <name>`: creates an environment (a merchant platform)
 * and prints its id and secret once. Only the secret's SHA-256 digest is stored, with its
 * signed-mode signing key sealed under SECRETS_PEPPER.
 */
import { parseArgs } from 'node:util';
import { migrate } from '../src/db/migrate';
import { createPool } from '../src/db/pool';
import { createEnvironment } from '../src/db/queries/environments';
import { loadConfig } from '../src/config';
import { signingKeyCipher } from '../src/signing-keys';
import { ROOT, pickDatabase } from './stack';
import { join } from 'node:path';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { name: { type: 'string' } } });
  const name = values.name?.trim();
  if (!name) {
    console.error('usage: npm run env:create -- --name <name>');
    process.exit(2);
  }
  const db = await pickDatabase(process.env.PAYNOCCHIO_DB_NAME ?? 'paynocchio', { fresh: false, dataDir: join(ROOT, '.data') });
  const pool = createPool(db.url, 1);
  try {
    await migrate(pool);
    // The same configuration as the API (SECRETS_PEPPER seals the signed-mode signing key).
    const config = loadConfig({ ...process.env, DATABASE_URL: db.url });
    const env = await createEnvironment(pool, name, { cipher: signingKeyCipher(config.SECRETS_PEPPER) });
    console.log(JSON.stringify({ env_id: env.id, name, secret: env.secret }, null, 2));
    console.error('Store the secret now: it is shown once and only its hash is kept.');
  } finally {
    await pool.end();
    await db.stop();
  }
}

main().catch((err) => {
  console.error('env:create failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
