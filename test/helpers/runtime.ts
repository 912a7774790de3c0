import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { readStack } from './stack';

/** Installs a Temporal runtime that logs warnings only; call before creating any worker. */
export function quietTemporalRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // a runtime is already installed in this process
  }
}

/**
 * A quiet local Temporal dev server for workflow tests with mocked activities, from the CLI
 * the suite installed (the time-skipping server cannot be downloaded here).
 */
export async function startLocalWorkflowEnv(): Promise<TestWorkflowEnvironment> {
  quietTemporalRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: readStack().temporalPath }, extraArgs: ['--log-level', 'error'] },
  });
}
