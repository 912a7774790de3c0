/**
 * Starting and stopping the processes under test: the two-process layout (API +
 * worker), the combined process (src/main.ts) and the B0 server. Each gets its own
 * port and environment; their output is kept quiet and shown only when one fails.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { NODE_FLAGS } from '../../src/node-flags';
import { ROOT, appScript, freePort, nodeScript, portOpen, spawnPrefixed, stopChild, waitFor } from '../stack';

export type Layout = 'two-process' | 'combined' | 'b0';

export interface Running {
  layout: Layout;
  baseUrl: string;
  /** Processes whose peak RSS is reported: api and worker (combined: one process as both). */
  pids: { api?: number; worker?: number; combined?: number; b0?: number };
  stop: () => Promise<void>;
}

export interface StartOptions {
  layout: Layout;
  env: NodeJS.ProcessEnv;
  verbose?: boolean;
}

function spawnWatched(name: string, script: string, env: NodeJS.ProcessEnv, verbose: boolean, tail: string[]): { child: ChildProcess; ready: () => boolean } {
  let ready = false;
  // The app runs compiled, as the default layout does (appScript); B0 and PAYNOCCHIO_BENCH_RUNTIME=tsx (the A/B's `tsx` variant) through tsx.
  const tsx = env.PAYNOCCHIO_BENCH_RUNTIME === 'tsx' || !script.startsWith('src/');
  // PAYNOCCHIO_BENCH_DIST: the app compiled into another folder of this checkout (an A/B against a copy of dist/ from before a change).
  const dist = env.PAYNOCCHIO_BENCH_DIST;
  // PAYNOCCHIO_BENCH_NODE_FLAGS (the A/B's flag variants; '' = none) replaces the app's NODE_FLAGS.
  const flags = env.PAYNOCCHIO_BENCH_NODE_FLAGS?.split(/\s+/).filter(Boolean);
  const cmd: [string, string[]] = tsx
    ? nodeScript(script)
    : dist
      ? [process.execPath, [...(flags ?? NODE_FLAGS), join(ROOT, dist, script.replace(/\.ts$/, '.js'))]]
      : appScript(script, flags);
  const child = spawnPrefixed(name, ...cmd, env, !verbose, (line) => {
    tail.push(`[${name}] ${line}`);
    if (tail.length > 40) tail.shift();
    if (line.startsWith('worker ready') || line.includes('"msg":"worker ready"')) ready = true;
  });
  return { child, ready: () => ready };
}

export async function startLayout(opts: StartOptions): Promise<Running> {
  const port = await freePort();
  const env = { ...opts.env, PORT: String(port), HOST: '127.0.0.1', WORKER_METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0', RATE_LIMIT_PER_SECOND: opts.env.RATE_LIMIT_PER_SECOND ?? '0' };
  const tail: string[] = [];
  const verbose = opts.verbose ?? false;
  const children: ChildProcess[] = [];
  const pids: Running['pids'] = {};
  try {
    if (opts.layout === 'two-process') {
      const worker = spawnWatched('worker', 'src/worker/main.ts', env, verbose, tail);
      const api = spawnWatched('api', 'src/api/main.ts', env, verbose, tail);
      children.push(worker.child, api.child);
      pids.worker = worker.child.pid;
      pids.api = api.child.pid;
      await waitFor('worker', async () => worker.ready(), 120_000, worker.child);
      await waitFor('api', () => portOpen(port), 120_000, api.child);
    } else if (opts.layout === 'combined') {
      const both = spawnWatched('combined', 'src/main.ts', env, verbose, tail);
      children.push(both.child);
      pids.combined = both.child.pid;
      await waitFor('combined process', async () => both.ready() && (await portOpen(port)), 120_000, both.child);
    } else {
      const b0 = spawnWatched('b0', 'scripts/bench/b0-server.ts', env, verbose, tail);
      children.push(b0.child);
      pids.b0 = b0.child.pid;
      await waitFor('b0 server', () => portOpen(port), 120_000, b0.child);
    }
  } catch (err) {
    for (const c of children) await stopChild(c);
    throw new Error(`${(err as Error).message}\n${tail.join('\n')}`);
  }
  return {
    layout: opts.layout,
    baseUrl: `http://127.0.0.1:${port}`,
    pids,
    stop: async () => {
      for (const c of children.reverse()) await stopChild(c);
    },
  };
}
