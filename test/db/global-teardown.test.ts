/**
 * The suite's last word (test/helpers/global-teardown.ts): the ledger invariants over the
 * whole test database. Tried here on a throwaway database, exact and then broken (a
 * wallet balance no posting explains), so the teardown's check is shown able to fail.
 */
import { Client as PgClient } from 'pg';
import { createDatabase, LOCAL_POSTGRES } from '../../scripts/stack';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { createWallet } from '../../src/db/queries/wallets';
import { assertLedgerExact } from '../helpers/global-teardown';
import { newEnvironment } from '../helpers/stack';

test('the teardown passes an exact ledger and fails the run on a broken one, naming the rule', async () => {
  const name = `${process.env.PAYNOCCHIO_TEST_DB ?? 'paynocchio_test'}_teardown`;
  const url = await createDatabase(process.env.DATABASE_URL ? new URL('/postgres', process.env.DATABASE_URL).toString() : LOCAL_POSTGRES, name, true);
  const own = createPool(url, 2);
  try {
    await migrate(own);
    const { envId } = await newEnvironment(own, 'teardown'); // deposits: postings that balance
    const { wallet } = await createWallet(own, envId, 'u1', 'USD');
    await expect(assertLedgerExact(url)).resolves.toBeUndefined();

    await own.query('update wallets set balance = balance + 5 where id = $1', [wallet.id]);
    await expect(assertLedgerExact(url)).rejects.toThrow(new RegExp(`each wallet's balance equals the sum of its postings: ${wallet.id}`));
  } finally {
    await own.end();
    const dropper = new PgClient({ connectionString: new URL('/postgres', url).toString() });
    await dropper.connect();
    await dropper.query(`drop database if exists "${name}" with (force)`).finally(() => dropper.end());
  }
});
