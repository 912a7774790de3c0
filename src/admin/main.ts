/** `npm run admin -- <command>`: see USAGE in commands.ts. Reads the same configuration as the API. */
import { Client, Connection } from '@temporalio/client';
import { join } from 'node:path';
import { loadConfig } from '../config';
import { withDevEnv } from '../dev-env';
import { createPool, type Pool } from '../db/pool';
import { runAdmin } from './commands';
import { temporalConnectionOptions } from '../temporal-connection';

async function main(): Promise<number> {
  // Without DATABASE_URL, the parts a running `npm run dev` of this clone picked.
  const dataDir = process.env.PAYNOCCHIO_DATA_DIR ?? join(__dirname, '../../.data');
  const config = loadConfig(withDevEnv(process.env, dataDir, (line) => process.stderr.write(line + '\n')));
  let pool: Pool | null = null;
  let connection: Connection | null = null;
  try {
    return await runAdmin(process.argv.slice(2), {
      pool: () => (pool ??= createPool(config.DATABASE_URL, 2)),
      temporal: async () => {
        connection ??= await Connection.connect(temporalConnectionOptions(config));
        return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
      },
      out: (line) => process.stdout.write(line + '\n'),
      err: (line) => process.stderr.write(line + '\n'),
      stdout: process.stdout,
      secretsPepper: config.SECRETS_PEPPER,
      defaultFundingLimit: config.DEFAULT_FUNDING_LIMIT,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      searchAttributes: config.TEMPORAL_SEARCH_ATTRIBUTES,
    });
  } finally {
    await (connection as Connection | null)?.close();
    await (pool as Pool | null)?.end();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error('admin failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
