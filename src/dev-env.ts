/**
 * What `npm run dev` picked (Postgres, Temporal, stripe-mock), written to
 * `.data/dev-env.json` while it runs, so the npm scripts a README section shows
 * (`npm run admin -- ledger verify`, the runbook's first move) reach the same parts with
 * no extra variables. Only variables the caller left unset are taken from it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLoopbackHost } from './config';

export const DEV_ENV_KEYS = ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_UI_URL', 'STRIPE_API_BASE'] as const;
type DevEnv = Partial<Record<(typeof DEV_ENV_KEYS)[number], string>> & { pid?: number };

export function devEnvFile(dataDir: string): string {
  return join(dataDir, 'dev-env.json');
}

export function writeDevEnv(dataDir: string, env: NodeJS.ProcessEnv): void {
  const picked: DevEnv = { pid: process.pid };
  for (const key of DEV_ENV_KEYS) if (env[key]) picked[key] = env[key];
  writeFileSync(devEnvFile(dataDir), JSON.stringify(picked, null, 2) + '\n', { mode: 0o600 });
}

export function removeDevEnv(dataDir: string): void {
  rmSync(devEnvFile(dataDir), { force: true });
}

/**
 * `env` with the running dev stack's addresses filled in where unset. A file left by a dev
 * run that is no longer alive is ignored (its embedded Postgres or Temporal is gone).
 */
export function withDevEnv(env: NodeJS.ProcessEnv, dataDir: string, log: (line: string) => void = () => undefined): NodeJS.ProcessEnv {
  const file = devEnvFile(dataDir);
  if (env.DATABASE_URL || !existsSync(file)) return env;
  let picked: DevEnv;
  try {
    picked = JSON.parse(readFileSync(file, 'utf8')) as DevEnv;
  } catch {
    return env;
  }
  if (!picked.pid || !isAlive(picked.pid)) return env;
  const merged = { ...env };
  for (const key of DEV_ENV_KEYS) if (!merged[key] && picked[key]) merged[key] = picked[key];
  log(`using the parts \`npm run dev\` picked (${file})`);
  return merged;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * `npm run dev`'s operator console token: the one configured, else on loopback (the
 * default HOST) a fresh random one for this run, which dev prints with the console's
 * sign-in URL; else none (a dev server reachable from elsewhere gets no console by default).
 */
export function devOperatorToken(env: NodeJS.ProcessEnv): { token: string | undefined; generated: boolean } {
  if (env.OPERATOR_TOKEN) return { token: env.OPERATOR_TOKEN, generated: false };
  if (!isLoopbackHost(env.HOST ?? '127.0.0.1')) return { token: undefined, generated: false };
  return { token: randomBytes(24).toString('base64url'), generated: true };
}
