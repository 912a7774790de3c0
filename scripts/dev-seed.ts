/**
 * Dev-only data, so the seed docs' snippets run as written against `npm run dev`:
 * environment 123 with the docs' secret, and user 123's wallet with id 123 (the docs
 * hard-code `wallet_id: 123`) opened with 1000.00 as the docs' examples show.
 * The opening balance is an ordinary ledger posting from the funding account, made
 * once (its idempotency id makes a second run a no-op).
 *
 * Environment 123's funding float is kept at 1,000,000,000.00 or more in every currency
 * (enough for load tests against `npm run dev`): each run that finds less left records a
 * deposit of the difference.
 */
import { CURRENCIES, CURRENCY_EXPONENT, type Currency } from '../src/domain/money';
import { recordDeposit } from '../src/db/deposits';
import { postTransaction } from '../src/db/ledger';
import { withTransaction, type Pool } from '../src/db/pool';
import { ensureEnvironment } from '../src/db/queries/environments';
import { DEV_SECRETS_PEPPER } from '../src/config';
import { signingKeyCipher } from '../src/signing-keys';
import { getFunding } from '../src/db/queries/funding';

export const DEV_ENV_ID = '123';
export const DEV_ENV_SECRET = 'secret_t1CdN9S8yicG5eWLUOfhcWaOscVnFXns';
export const DEV_WALLET_ID = '123';
export const DEV_USER_ID = '123';
const OPENING_BALANCE = 100_000n; // 1000.00 USD
/** The dev environment's float, in major units of each currency. */
export const DEV_FLOAT_MAJOR = 1_000_000_000n;

/**
 * Tops the environment's float up to at least `major` units of each currency left: a
 * deposit of the difference, keyed by what was deposited before (a re-run with nothing
 * used deposits nothing; two concurrent runs deposit once).
 */
export async function ensureFloat(pool: Pool, envId: string, major: bigint, currencies: readonly Currency[] = CURRENCIES): Promise<void> {
  for (const currency of currencies) {
    const target = major * 10n ** BigInt(CURRENCY_EXPONENT[currency]);
    await withTransaction(pool, async (client) => {
      const funding = await getFunding(client, envId, currency);
      const left = BigInt(funding?.available ?? '0');
      if (left >= target) return;
      await recordDeposit(client, {
        envId,
        currency,
        amount: target - left,
        idempotencyId: `float-top-up:${envId}:${currency}:${funding?.deposited ?? '0'}`,
        reference: 'development float',
      });
    });
  }
}

/** `secretsPepper`: the SECRETS_PEPPER the API will run with (its signing key is sealed under it). */
export async function seedDevData(pool: Pool, secretsPepper: string = DEV_SECRETS_PEPPER): Promise<void> {
  await ensureEnvironment(pool, DEV_ENV_ID, 'dev (seed docs)', DEV_ENV_SECRET, signingKeyCipher(secretsPepper));
  await ensureFloat(pool, DEV_ENV_ID, DEV_FLOAT_MAJOR);
  await withTransaction(pool, async (client) => {
    const created = await client.query(
      `insert into wallets (id, env_id, user_id, currency) values ($1, $2, $3, 'USD') on conflict do nothing returning id`,
      [DEV_WALLET_ID, DEV_ENV_ID, DEV_USER_ID],
    );
    if (!created.rowCount) return;
    await postTransaction(client, {
      idempotencyId: `dev-seed:wallet-${DEV_WALLET_ID}:opening-balance`,
      envId: DEV_ENV_ID,
      currency: 'USD',
      type: 'topup',
      amount: OPENING_BALANCE,
      reference: 'dev seed opening balance',
      legs: [
        { account: 'wallet', walletId: DEV_WALLET_ID, amount: OPENING_BALANCE },
        { account: 'funding', amount: -OPENING_BALANCE },
      ],
      requireActive: true,
    });
  });
  // The opening balance came out of the float: top it back up so at least 1,000,000,000.00 is left.
  await ensureFloat(pool, DEV_ENV_ID, DEV_FLOAT_MAJOR, ['USD']);
}
