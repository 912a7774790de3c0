/**
 * Records histories of real runs for the replay tests (test/histories/*.json).
 * Needs a running stack (`npm run dev` in another terminal). Re-record only when a
 * workflow change is *meant* to be incompatible, and then guard it with patched().
 *
 *   node --import tsx scripts/record-histories.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { loadConfig } from '../src/config';
import { createPool } from '../src/db/pool';
import { createFundedEnvironment } from '../src/db/deposits';
import { createWallet } from '../src/db/queries/wallets';
import { ROOT, ensureTools } from './stack';
import { temporalConnectionOptions } from '../src/temporal-connection';

async function main(): Promise<void> {
  const config = loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/paynocchio', ...process.env });
  const pool = createPool(config.DATABASE_URL, 2);
  const connection = await Connection.connect(temporalConnectionOptions(config));
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const { id: envId } = await createFundedEnvironment(pool, 'history recording', [{ currency: 'USD', amount: 1_000_000n }]);
  const { wallet } = await createWallet(pool, envId, 'history-user', 'USD');
  const base = { envId, walletId: wallet.id, currency: 'USD' };
  const runs: [string, string, unknown][] = [
    ['topup', 'topup', { ...base, amount: '10000' }],
    ['payment', 'payment', { ...base, userId: wallet.userId, productId: 'history-product', amount: '2500' }],
    ['payment-insufficient-funds', 'payment', { ...base, userId: wallet.userId, productId: 'history-product', amount: '999999' }],
  ];
  for (const [name, type, input] of runs) {
    const handle = await client.workflow.start(type, { taskQueue: config.TEMPORAL_TASK_QUEUE, workflowId: `history-${name}-${Date.now()}`, args: [input] });
    await handle.result().catch((err) => {
      if (!(err instanceof WorkflowFailedError)) throw err;
    });
    const file = join(ROOT, 'test/histories', `${name}.json`);
    // The CLI writes the history in the proto JSON form that historyFromJSON reads.
    const json = execFileSync(
      ensureTools().temporal,
      ['workflow', 'show', '--workflow-id', handle.workflowId, '--address', config.TEMPORAL_ADDRESS, '--namespace', config.TEMPORAL_NAMESPACE, '--output', 'json'],
      { encoding: 'utf8' },
    );
    writeFileSync(file, JSON.stringify(JSON.parse(json), null, 1) + '\n');
    console.log(`recorded ${file}`);
  }
  await connection.close();
  await pool.end();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
