/**
 * `npm run build`: src/ compiled to JavaScript in dist/src/ (esbuild, file by file: the
 * transpiler tsx runs at run time, run once ahead of time), with the SQL migrations beside.
 * The default layout runs it with plain node (`npm run dev`, `npm run start:combined`, the
 * image, the bench): no tsx loader thread, esbuild service or per-module transform in the
 * running process (issue 11: ~40-60 MB less peak RSS; BENCHMARKS.md). Tests, scripts and
 * `npm run admin` still run the TypeScript through tsx. No type check here (`npm run typecheck`).
 * The workflow bundle is still built from the TypeScript sources (src/worker/workflow-bundle.ts).
 */
import { cpSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';

const ROOT = resolve(__dirname, '..');
export const DIST = join(ROOT, 'dist');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Compiles src/ into dist/src/ (files are overwritten, so concurrent builds of one checkout agree). */
export function buildDist(): string {
  const src = join(ROOT, 'src');
  // Linked source maps: NODE_OPTIONS=--enable-source-maps maps stack traces back to src/ (off by default: it costs memory).
  buildSync({ entryPoints: tsFiles(src), outdir: join(DIST, 'src'), outbase: src, format: 'cjs', platform: 'node', target: 'node20', sourcemap: 'linked', logLevel: 'warning' });
  cpSync(join(src, 'db/migrations'), join(DIST, 'src/db/migrations'), { recursive: true });
  return DIST;
}

let built = false;
/** buildDist once per process (dev, the bench and its layouts call it before starting the app). */
export function ensureDist(): string {
  if (!built) buildDist();
  built = true;
  return DIST;
}

/** The compiled counterpart of a src/ entry: `src/main.ts` → dist/src/main.js. */
export function compiledScript(script: string): string {
  return join(DIST, script.replace(/\.ts$/, '.js'));
}

if (require.main === module) {
  const t = Date.now();
  buildDist();
  console.log(`[build] src/ → dist/src/ in ${Date.now() - t} ms`);
}
