import { rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { stopChild } from '../../scripts/stack';

export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as Record<string, unknown>).__paynocchioStack as
    | { children: ChildProcess[]; db: { stop: () => Promise<void> }; stackFile: string }
    | undefined;
  if (!stack) return;
  for (const child of stack.children) await stopChild(child);
  await stack.db.stop();
  rmSync(stack.stackFile, { force: true });
}
