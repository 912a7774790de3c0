/**
 * The V8 flags the app runs with, in ONE place (issue 11: peak RSS of the default layout).
 * Every launcher passes them to node on its command line: scripts/stack.ts `appScript`
 * (`npm run dev` and the bench, both layouts), `npm run start:combined` (package.json), the
 * Dockerfile's CMD and compose's commands; test/unit/node-flags.test.ts and
 * test/ops/docker.test.ts check that they agree with this list. Not NODE_OPTIONS: Node allows
 * only some V8 flags there, and `--heap-growing-percent` is not one of them (node exits 9).
 *
 * Why: on a machine with many GB, V8 sizes each isolate's heap for it and collects lazily, so
 * the process grows with the request rate (the API's isolate and the workflow thread's), not
 * with what it keeps. The flags are V8's, so they apply to every isolate of the process,
 * the SDK's workflow worker thread(s) included. Measured A/B: bench/results/2026-12-02-memory-ab.jsonl.
 *
 * A process started without them (plain `node dist/src/main.js`) still works: `applyNodeFlags`
 * logs which are missing and sets them with `v8.setFlagsFromString`, which reaches the isolates
 * created afterwards (the workflow threads) but not the main one, whose heap is configured
 * before any JavaScript runs.
 */
import { setFlagsFromString } from 'node:v8';

export const NODE_FLAGS: readonly string[] = [
  // Young generation: each semi-space at most 8 MB (V8's default here: 16), in every isolate.
  '--max-semi-space-size=8',
  // Old generation: after a full GC the next one comes when it has grown 1.5× its live size,
  // not V8's dynamic factor (up to 4× on a machine with GBs, and higher the faster the process
  // allocates, i.e. with the request rate). No heap cap: nothing here can end in an OOM exit.
  '--heap-growing-percent=50',
];

/** NODE_FLAGS as one would type them: `node <this> dist/src/main.js`. */
export const NODE_FLAGS_LINE = NODE_FLAGS.join(' ');

/** `--name=value` → `--name` (V8 also accepts underscores: `--max_semi_space_size`). */
function flagName(flag: string): string {
  return flag.split('=')[0]!.replace(/_/g, '-');
}

/** NODE_FLAGS (by name) that neither the command line nor NODE_OPTIONS set; an explicit other value counts as set. */
export function missingNodeFlags(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].filter((a) => a.startsWith('--')).map(flagName));
  return NODE_FLAGS.filter((flag) => !given.has(flagName(flag)));
}

/**
 * At start, before the worker creates its workflow threads: sets the missing flags for the
 * isolates still to come and tells the operator (the main isolate keeps V8's defaults).
 */
export function applyNodeFlags(warn: (missing: string[]) => void): string[] {
  const missing = missingNodeFlags();
  if (missing.length === 0) return [];
  for (const flag of missing) setFlagsFromString(flag);
  warn(missing);
  return missing;
}
