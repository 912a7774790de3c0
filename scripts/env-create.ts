/**
 * `npm run env:create -- --name <name> [--funding-limit <amount>] [--currency <cur>]`:
 * creates an environment (a merchant platform), records its initial funding float as a
 * deposit (the flag, else DEFAULT_FUNDING_LIMIT, else none: topups are refused until an
 * operator records a deposit) and prints its id and secret once. Only the secret's
 * SHA-256 digest is stored, with its signed-mode signing key sealed under SECRETS_PEPPER.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { DEFAULT_CURRENCY, formatAmount, isCurrency, parseAmountOrZero } from '../src/domain/money';
import { createFundedEnvironment } from '../src/db/deposits';
import { migrate } from '../src/db/migrate';
import { createPool } from '../src/db/pool';
import { signingKeyCipher } from '../src/signing-keys';
import { ROOT, pickDatabase } from './stack';
import { join } from 'node:path';

const USAGE = 'usage: npm run env:create -- --name <name> [--funding-limit <amount>] [--currency <cur>]';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { name: { type: 'string' }, 'funding-limit': { type: 'string' }, currency: { type: 'string' } } });
  const name = values.name?.trim();
  const currency = (values.currency ?? DEFAULT_CURRENCY).toUpperCase();
  if (!name || !isCurrency(currency)) {
    console.error(name ? `unknown currency ${JSON.stringify(currency)}\n${USAGE}` : USAGE);
    process.exit(2);
  }
  // The same configuration as the API (SECRETS_PEPPER seals the signed-mode signing key).
  const config = loadConfig({ ...process.env, DATABASE_URL: process.env.DATABASE_URL || 'unused' });
  let float: bigint;
  try {
    const text = values['funding-limit'] ?? config.DEFAULT_FUNDING_LIMIT;
    float = parseAmountOrZero(text, currency, '--funding-limit');
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : err}\n${USAGE}`);
    process.exit(2);
  }
  const db = await pickDatabase(process.env.PAYNOCCHIO_DB_NAME ?? 'paynocchio', { fresh: false, dataDir: join(ROOT, '.data') });
  const pool = createPool(db.url, 1);
  try {
    await migrate(pool);
    const env = await createFundedEnvironment(pool, name, [{ currency, amount: float }], { cipher: signingKeyCipher(config.SECRETS_PEPPER) });
    console.log(
      JSON.stringify({ env_id: env.id, name, secret: env.secret, funding: { currency, deposited: formatAmount(float, currency) } }, null, 2),
    );
    console.error('Store the secret now: it is shown once and only its hash is kept.');
    if (float === 0n) {
      console.error(`No funding float: topups are refused until a deposit is recorded (npm run admin -- environments fund ${env.id} <amount>).`);
    }
  } finally {
    await pool.end();
    await db.stop();
  }
}

main().catch((err) => {
  console.error('env:create failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
