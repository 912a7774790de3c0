/**
 * The A/B's `js` variant (issue 11 lever "ahead-of-time compiled JavaScript instead of tsx"):
 * src/ transpiled file by file with esbuild (tsx's own transpiler, so the same output tsx
 * makes at run time, without tsx's loader thread and esbuild service), plus the SQL
 * migrations. Written inside the checkout so node_modules resolve as they do for src/.
 */
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildSync } from 'esbuild';
import { ROOT } from '../stack';

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Compiles src/ into `outDir`/src; returns outDir (its layout mirrors the checkout's). */
export function compileToJs(outDir: string): string {
  if (relative(ROOT, outDir).startsWith('..')) throw new Error(`${outDir} must be inside ${ROOT}`);
  rmSync(outDir, { recursive: true, force: true });
  const src = join(ROOT, 'src');
  buildSync({ entryPoints: tsFiles(src), outdir: join(outDir, 'src'), outbase: src, format: 'cjs', platform: 'node', target: 'node20', logLevel: 'warning' });
  cpSync(join(src, 'db/migrations'), join(outDir, 'src/db/migrations'), { recursive: true });
  return outDir;
}
