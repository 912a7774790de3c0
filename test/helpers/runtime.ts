import { DefaultLogger, Runtime } from '@temporalio/worker';

/** Installs a Temporal runtime that logs warnings only; call before creating any worker. */
export function quietTemporalRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // a runtime is already installed in this process
  }
}
