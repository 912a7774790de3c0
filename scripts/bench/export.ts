/**
 * The postings export at scale: `npm run admin -- export postings --env <id>` run as its
 * own process over the environment that holds the 1M-posting history, its output read
 * and counted (never kept), timed, and its peak RSS (VmHWM, the kernel's high-water mark,
 * read until the process exits) recorded. The export streams with COPY, so its memory
 * must not grow with the number of rows.
 */
import { spawn } from 'node:child_process';
import { nodeScript } from '../stack';
import { peakRssMb } from './rss';

export interface ExportResult {
  format: 'csv' | 'jsonl';
  /** Rows written (CSV: without the header). */
  rows: number;
  bytes: number;
  seconds: number;
  peakRssMb: number | null;
  exitCode: number | null;
}

export async function measureExport(env: NodeJS.ProcessEnv, envId: string, format: 'csv' | 'jsonl'): Promise<ExportResult> {
  const [node, args] = nodeScript('src/admin/main.ts');
  const started = performance.now();
  const child = spawn(node, [...args, 'export', 'postings', '--env', envId, '--format', format], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let newlines = 0;
  let bytes = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) newlines++;
  });
  let peak: number | null = null;
  const sampler = setInterval(() => {
    peak = Math.max(peak ?? 0, peakRssMb(child.pid) ?? 0) || peak;
  }, 50);
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  clearInterval(sampler);
  return {
    format,
    rows: format === 'csv' ? Math.max(0, newlines - 1) : newlines,
    bytes,
    seconds: Math.round((performance.now() - started) / 10) / 100,
    peakRssMb: peak,
    exitCode,
  };
}
