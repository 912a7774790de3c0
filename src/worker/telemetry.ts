/**
 * The Temporal runtime, installed once before any connection: SDK and activity logs
 * go to pino as JSON, and the runtime's Prometheus exporter (worker metrics: task
 * latencies, slots, sticky cache, polls) listens on loopback, to be merged into the
 * worker's /metrics by metrics-server.ts.
 */
import { Runtime, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { Logger } from '../observability/logger';

function sdkLogger(logger: Logger) {
  const at = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const method = level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
    logger[method]({ ...meta, sdk: true }, message);
  };
  return {
    log: at,
    trace: (m: string, meta?: LogMetadata) => at('TRACE', m, meta),
    debug: (m: string, meta?: LogMetadata) => at('DEBUG', m, meta),
    info: (m: string, meta?: LogMetadata) => at('INFO', m, meta),
    warn: (m: string, meta?: LogMetadata) => at('WARN', m, meta),
    error: (m: string, meta?: LogMetadata) => at('ERROR', m, meta),
  };
}

/** Returns the address of the runtime's Prometheus exporter, or null when TEMPORAL_METRICS_PORT is 0. */
export function installRuntime(logger: Logger, temporalMetricsPort: number): string | null {
  const bindAddress = temporalMetricsPort ? `127.0.0.1:${temporalMetricsPort}` : null;
  if (bindAddress) {
    try {
      Runtime.install({ logger: sdkLogger(logger), telemetryOptions: { metrics: { prometheus: { bindAddress }, metricPrefix: 'temporal_' } } });
      return bindAddress;
    } catch (err) {
      // A busy port must not stop the worker: run without the SDK's metrics and say so.
      logger.error({ err: (err as Error).message, bind_address: bindAddress }, 'Temporal runtime metrics exporter could not start; running without it');
    }
  }
  Runtime.install({ logger: sdkLogger(logger) });
  return null;
}
