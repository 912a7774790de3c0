/**
 * Peak resident memory of a process: VmHWM in /proc/<pid>/status is the kernel's own
 * high-water mark since the process started, so no sampling can miss a spike.
 */
import { readFileSync } from 'node:fs';

export function peakRssMb(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

/** Resident memory now, split as the kernel counts it (anonymous: heaps; file: mapped code), and the thread count. */
export function memoryNow(pid: number | undefined): { rssMb: number; anonMb: number; fileMb: number; threads: number } | null {
  if (!pid) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    const mb = (kb: number) => Math.round(kb / 1024);
    return { rssMb: mb(field('VmRSS')), anonMb: mb(field('RssAnon')), fileMb: mb(field('RssFile')), threads: field('Threads') };
  } catch {
    return null;
  }
}
