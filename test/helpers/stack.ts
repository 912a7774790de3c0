/**
 * What a test file needs from the running stack: a pool on the test database, a
 * Temporal client, the app built by createApp, and a fresh environment per test file
 * so files running in parallel never see each other's data.
 */
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../src/api/app';
import { createPool, type Pool } from '../../src/db/pool';
import { createEnvironment } from '../../src/db/queries/environments';
import { findLedgerViolations } from '../../src/db/queries/invariants';

export interface TestStack {
  databaseUrl: string;
  temporalAddress: string;
  temporalPath: string;
  stripeApiBase: string;
  taskQueue: string;
  workflowBundlePath: string;
  /** The worker's /metrics (prom-client + the Temporal runtime's exporter). */
  workerMetricsUrl: string;
}

export function readStack(): TestStack {
  const file = process.env.PAYNOCCHIO_TEST_STACK;
  if (!file) throw new Error('PAYNOCCHIO_TEST_STACK is not set: run the tests with `npm test`');
  return JSON.parse(readFileSync(file, 'utf8')) as TestStack;
}

export interface TestContext {
  stack: TestStack;
  pool: Pool;
  client: Client;
  connection: Connection;
  app: ReturnType<typeof createApp>;
  close: () => Promise<void>;
}

export async function startTestContext(opts: { syncTimeoutMs?: number } = {}): Promise<TestContext> {
  const stack = readStack();
  const pool = createPool(stack.databaseUrl, 20);
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection });
  const app = createApp({
    pool,
    temporal: { client, taskQueue: stack.taskQueue, searchAttributes: true, syncTimeoutMs: opts.syncTimeoutMs ?? 30_000 },
  });
  return {
    stack,
    pool,
    client,
    connection,
    app,
    close: async () => {
      await connection.close();
      await pool.end();
    },
  };
}

export async function newEnvironment(pool: Pool, name = 'test'): Promise<{ envId: string; secret: string }> {
  const { id, secret } = await createEnvironment(pool, name);
  return { envId: id, secret };
}

/** The seed's body encoding: `json=json.dumps({...})` sends a JSON string holding the object. */
export function seedBody(body: Record<string, unknown>): string {
  return JSON.stringify(JSON.stringify(body));
}

export async function expectLedgerExact(pool: Pool): Promise<void> {
  expect(await findLedgerViolations(pool)).toEqual([]);
}
