/**
 * Ends the suite: stops the worker (no workflow writes any more), then checks the ledger
 * invariants (src/db/queries/invariants.ts) over the WHOLE test database — every file's
 * environments, the seed, whatever a file left behind without checking — then stops the
 * other parts. Broken books fail the run (jest reports a failing global teardown and
 * exits non-zero), even when every test passed.
 */
import { rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { stopChild } from '../../scripts/stack';
import { createPool } from '../../src/db/pool';
import { findLedgerViolations } from '../../src/db/queries/invariants';

/** Throws naming every broken rule (and up to 20 ids each) when the database's ledger is not exact. */
export async function assertLedgerExact(databaseUrl: string): Promise<void> {
  const pool = createPool(databaseUrl, 1);
  try {
    const violations = await findLedgerViolations(pool);
    if (violations.length) {
      throw new Error(
        `the ledger invariants are broken in the test database after the run:\n` +
          violations.map((v) => `  - ${v.rule}: ${v.ids.join(', ')}`).join('\n'),
      );
    }
  } finally {
    await pool.end();
  }
}

export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as Record<string, unknown>).__paynocchioStack as
    | { children: ChildProcess[]; db: { url: string; stop: () => Promise<void> }; stackFile: string }
    | undefined;
  if (!stack) return;
  const [worker, ...others] = stack.children;
  let failure: unknown = null;
  try {
    if (worker) await stopChild(worker);
    await assertLedgerExact(stack.db.url);
  } catch (err) {
    failure = err;
  }
  for (const child of others) await stopChild(child);
  await stack.db.stop();
  rmSync(stack.stackFile, { force: true });
  if (failure) throw failure;
}
