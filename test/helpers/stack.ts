/**
 * What a test file needs from the running stack: a pool on the test database, a
 * Temporal client, the app built by createApp, and a fresh environment per test file
 * so files running in parallel never see each other's data.
 */
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../src/api/app';
import { paymentBatcherFor, type TemporalDeps } from '../../src/api/temporal';
import type { WithdrawWaits } from '../../src/services/withdrawals';
import type { CardTopupSettings } from '../../src/services/card-topups';
import { DEV_SECRETS_PEPPER, DEV_STRIPE_WEBHOOK_SECRET } from '../../src/config';
import { signingKeyCipher } from '../../src/signing-keys';
import type { WebhookPolicy } from '../../src/api/routes/webhooks';
import type { ScheduleDeps } from '../../src/api/schedules-temporal';
import { createStripe, type Stripe } from '../../src/stripe';
import { createPool, type Pool } from '../../src/db/pool';
import { CURRENCIES, CURRENCY_EXPONENT } from '../../src/domain/money';
import { createFundedEnvironment, type InitialFloat } from '../../src/db/deposits';
import { findLedgerViolations } from '../../src/db/queries/invariants';

export interface TestStack {
  databaseUrl: string;
  temporalAddress: string;
  /** The dev server (default) or the real server on Postgres (PAYNOCCHIO_TEST_TEMPORAL=postgres). */
  temporalKind: 'dev' | 'postgres';
  temporalPath: string;
  stripeApiBase: string;
  taskQueue: string;
  workflowBundlePath: string;
  /** Everything the worker process printed. */
  workerLog: string;
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
  /** A client of the suite's stripe-mock (also signs test webhooks: stripe.webhooks.generateTestHeaderString). */
  stripe: Stripe;
  close: () => Promise<void>;
}

export async function startTestContext(
  opts: {
    syncTimeoutMs?: number;
    withdrawWaits?: WithdrawWaits;
    /** Card top-ups: the TTL (tests shorten it to see expiry) and the clearing waits. */
    cardTopups?: CardTopupSettings;
    /** The app's webhook policy; default: public addresses only (as WEBHOOK_ALLOW_PRIVATE_NETWORKS unset), 20 endpoints. */
    webhooks?: WebhookPolicy;
    /** Schedules: the shortest interval (tests lower it) and the catch-up window. */
    schedules?: ScheduleDeps;
    /** Wraps the app's Temporal client (a test that watches or fails its calls); the context's `client` stays the real one. */
    wrapClient?: (client: Client) => Client;
    /**
     * Payments batched at the API as the default layout does (PAYMENT_BATCH, default on; the
     * environment's PAYMENT_BATCH=false runs the suite without); false: one workflow each.
     */
    paymentBatch?: false | { maxSize: number; maxInFlight: number };
  } = {},
): Promise<TestContext> {
  const stack = readStack();
  const pool = createPool(stack.databaseUrl, 20);
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection });
  const stripe = createStripe({ STRIPE_API_BASE: stack.stripeApiBase });
  const temporal: TemporalDeps = {
    client: opts.wrapClient ? opts.wrapClient(client) : client,
    taskQueue: stack.taskQueue,
    searchAttributes: true,
    syncTimeoutMs: opts.syncTimeoutMs ?? 30_000,
  };
  const batch = opts.paymentBatch ?? (process.env.PAYMENT_BATCH === 'false' ? false : { maxSize: 64, maxInFlight: 1 });
  if (batch) temporal.paymentBatcher = paymentBatcherFor(temporal, batch);
  const app = createApp({
    pool,
    temporal,
    stripe: { client: stripe, webhookSecret: DEV_STRIPE_WEBHOOK_SECRET },
    auth: { secretsPepper: DEV_SECRETS_PEPPER },
    ...(opts.withdrawWaits ? { withdrawWaits: opts.withdrawWaits } : {}),
    ...(opts.cardTopups ? { cardTopups: opts.cardTopups } : {}),
    ...(opts.webhooks ? { webhooks: opts.webhooks } : {}),
    ...(opts.schedules ? { schedules: opts.schedules } : {}),
  });
  return {
    stack,
    pool,
    client,
    connection,
    app,
    stripe,
    close: async () => {
      // The gRPC connection is left open: closing it raced the SDK's own background
      // long-polls on a busy machine ("Channel has been shut down" after the last test,
      // failing the suite). Jest ends the worker process (forceExit) when the run is done.
      await pool.end();
    },
  };
}

/** A test environment's funding float: 1,000,000,000 major units in every currency (no test runs out). */
export const TEST_FLOAT: InitialFloat[] = CURRENCIES.map((currency) => ({
  currency,
  amount: 1_000_000_000n * 10n ** BigInt(CURRENCY_EXPONENT[currency]),
}));

/** A fresh environment, funded with `float` (default TEST_FLOAT; [] for none) as deposits. */
export async function newEnvironment(
  pool: Pool,
  name = 'test',
  float: InitialFloat[] = TEST_FLOAT,
): Promise<{ envId: string; secret: string }> {
  const { id, secret } = await createFundedEnvironment(pool, name, float, { cipher: signingKeyCipher(DEV_SECRETS_PEPPER) });
  return { envId: id, secret };
}

/** The seed's body encoding: `json=json.dumps({...})` sends a JSON string holding the object. */
export function seedBody(body: Record<string, unknown>): string {
  return JSON.stringify(JSON.stringify(body));
}

export async function expectLedgerExact(pool: Pool): Promise<void> {
  expect(await findLedgerViolations(pool)).toEqual([]);
}
