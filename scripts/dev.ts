/**
 * `npm run dev`: picks Postgres, applies migrations, seeds environment 123, starts
 * the Temporal dev server (Web UI on :8233) and stripe-mock unless they are given,
 * then the API and the worker in one process on :3000 (`-- --two-process`: apart), compiled
 * to dist/ first (scripts/build.ts, under a second) and run by plain node.
 * Ctrl-C stops everything; data stays in .data/.
 * `-- --temporal=postgres`: the real Temporal server (built once from the pinned module)
 * with its state in the databases paynocchio_temporal(_visibility) of the same Postgres;
 * it has no Web UI (README, Operations).
 * On loopback without OPERATOR_TOKEN it makes one for this run and prints the console's
 * sign-in URL, so the console is on from the first `npm run dev`.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { migrate } from '../src/db/migrate';
import { createPool } from '../src/db/pool';
import { devOperatorToken, removeDevEnv, writeDevEnv } from '../src/dev-env';
import { DEV_ENV_ID, seedDevData } from './dev-seed';
import {
  ROOT,
  appScript,
  ensureTemporalServerTools,
  ensureTools,
  freePort,
  pickDatabase,
  portOpen,
  spawnPrefixed,
  startStripeMock,
  startTemporal,
  startTemporalServer,
  stopChild,
  temporalAlreadyRunning,
  temporalKindFromArgs,
  waitFor,
} from './stack';

async function main(): Promise<void> {
  const started = Date.now();
  const children: ChildProcess[] = [];
  const dataDir = process.env.PAYNOCCHIO_DATA_DIR ?? join(ROOT, '.data');
  let stopDb: () => Promise<void> = async () => undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\n[dev] stopping…');
    removeDevEnv(dataDir);
    for (const child of children.reverse()) await stopChild(child);
    await stopDb().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  const temporalKind = temporalKindFromArgs(process.argv.slice(2));
  const tools = ensureTools();
  const db = await pickDatabase(process.env.PAYNOCCHIO_DB_NAME ?? 'paynocchio', { fresh: false, dataDir });
  stopDb = db.stop;
  console.log(`[dev] postgres: ${db.source} (${db.url.replace(/:[^:@/]*@/, ':***@')})`);
  const pool = createPool(db.url, 2);
  await migrate(pool);
  await seedDevData(pool, process.env.SECRETS_PEPPER || undefined);
  await pool.end();

  let temporalAddress = process.env.TEMPORAL_ADDRESS ?? '';
  let uiUrl = process.env.TEMPORAL_UI_URL ?? 'http://localhost:8233';
  if (temporalAddress && (await temporalAlreadyRunning(temporalAddress))) {
    console.log(`[dev] temporal: using ${temporalAddress}`);
  } else {
    const port = Number(process.env.TEMPORAL_PORT ?? 7233);
    if (temporalKind === 'postgres') {
      const database = `${process.env.PAYNOCCHIO_DB_NAME ?? 'paynocchio'}_temporal`;
      const server = await startTemporalServer({ tools: ensureTemporalServerTools(), postgresUrl: db.url, database, port, fresh: false });
      children.push(server.child!);
      temporalAddress = server.address;
      uiUrl = process.env.TEMPORAL_UI_URL ?? '';
      console.log(`[dev] temporal: real server on Postgres (${database}, ${database}_visibility) at ${temporalAddress}; no Web UI (README, Operations)`);
    } else {
      const uiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
      const server = await startTemporal({ temporal: tools.temporal, port, uiPort, dbFile: join(dataDir, 'temporal.sqlite') });
      children.push(server.child!);
      temporalAddress = server.address;
      uiUrl = server.uiUrl!;
      console.log(`[dev] temporal: ${temporalAddress}, Web UI ${uiUrl}`);
    }
  }

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: temporalAddress,
    // The real server has no Web UI: the logs' workflow links then point at TEMPORAL_UI_URL's default.
    ...(uiUrl ? { TEMPORAL_UI_URL: uiUrl } : {}),
    // Stripe sends the user's browser back to PUBLIC_URL after onboarding: default to this API.
    PUBLIC_URL: process.env.PUBLIC_URL ?? `http://localhost:${process.env.PORT ?? 3000}`,
  };
  // The operator console needs a token: on loopback (the default HOST) dev makes one for
  // this run, printed below, so a newcomer finds the console without configuring it.
  const operator = devOperatorToken(process.env);
  if (operator.token) env.OPERATOR_TOKEN = operator.token;
  if (!process.env.STRIPE_SECRET_KEY) {
    const stripePort = Number(process.env.STRIPE_MOCK_PORT ?? 12111);
    const mock = await startStripeMock({ stripeMock: tools.stripeMock, port: stripePort });
    children.push(mock.child);
    env.STRIPE_API_BASE = mock.url;
    console.log(`[dev] stripe: stripe-mock at ${mock.url}`);
  }

  // Several clones may run `npm run dev` on one machine: metrics ports fall back to free ones.
  const workerMetricsPort = Number(process.env.WORKER_METRICS_PORT ?? ((await portOpen(9464)) ? await freePort() : 9464));
  env.WORKER_METRICS_PORT = String(workerMetricsPort);
  env.TEMPORAL_METRICS_PORT = process.env.TEMPORAL_METRICS_PORT ?? String(await freePort());
  // The default layout is ONE process (src/main.ts: API + worker sharing one
  // NativeConnection, eager workflow start); `npm run dev -- --two-process` (or
  // PAYNOCCHIO_LAYOUT=two-process) starts the API and the worker apart (BENCHMARKS.md).
  const twoProcess = process.argv.includes('--two-process') || process.env.PAYNOCCHIO_LAYOUT === 'two-process';
  let workerReady = false;
  const onLine = (line: string) => {
    if (line.startsWith('worker ready') || line.includes('"msg":"worker ready"')) workerReady = true;
  };
  // Compiled JavaScript (scripts/build.ts, rebuilt here at each start), not tsx: less memory (BENCHMARKS.md).
  const worker = twoProcess ? spawnPrefixed('worker', ...appScript('src/worker/main.ts'), env, false, onLine) : null;
  const api = twoProcess ? spawnPrefixed('api', ...appScript('src/api/main.ts'), env) : spawnPrefixed('app', ...appScript('src/main.ts'), env, false, onLine);
  const procs = worker ? ([['worker', worker], ['api', api]] as const) : ([['app', api]] as const);
  for (const [, child] of procs) children.push(child);
  for (const [name, child] of procs) {
    child.once('exit', (code) => {
      if (!stopping) {
        console.error(`[dev] ${name} exited (${code}); stopping`);
        void shutdown(1);
      }
    });
  }
  const port = Number(process.env.PORT ?? 3000);
  await waitFor('api', () => portOpen(port), 120_000, api);
  await waitFor('worker', async () => workerReady, 120_000, worker ?? api);
  console.log(`[dev] layout: ${twoProcess ? 'two processes (API + worker)' : 'one process (API + worker, eager workflow start)'}`);
  // npm run admin (and other scripts) find these parts while dev runs (src/dev-env.ts).
  writeDevEnv(dataDir, env);
  console.log(`[dev] ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`[dev]   API        http://127.0.0.1:${port}  (environment ${DEV_ENV_ID} with the seed docs' secret)`);
  console.log(`[dev]   Temporal   ${uiUrl || `${temporalAddress} (no Web UI: temporal workflow list --address ${temporalAddress})`}`);
  console.log(`[dev]   docs http://127.0.0.1:${port}/docs · metrics :${port}/metrics and worker :${workerMetricsPort}/metrics`);
  console.log(
    operator.generated
      ? `[dev]   console    http://127.0.0.1:${port}/console?token=${operator.token}  (token made for this run; set OPERATOR_TOKEN to choose one)`
      : process.env.OPERATOR_TOKEN
        ? `[dev]   console    http://127.0.0.1:${port}/console?token=<OPERATOR_TOKEN>`
        : '[dev]   console    set OPERATOR_TOKEN (16+ characters) to enable /console',
  );
  console.log('[dev] Ctrl-C stops everything; data stays in .data/');
}

main().catch((err) => {
  console.error('[dev] failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
