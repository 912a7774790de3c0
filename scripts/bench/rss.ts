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
