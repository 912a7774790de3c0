/**
 * OpenTelemetry tracing, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set. When on, spans
 * go over OTLP/HTTP to `<endpoint>/v1/traces`; the API traces workflow starts through
 * the Temporal client interceptor and the worker traces workflows and activities
 * (src/worker/worker.ts), so one trace runs from the HTTP request to the SQL activity.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface Tracing {
  resource: Resource;
  spanProcessor: SpanProcessor;
  provider: BasicTracerProvider;
  shutdown: () => Promise<void>;
}

export function setupTracing(opts: { endpoint: string | undefined; serviceName: string }): Tracing | null {
  if (!opts.endpoint) return null;
  const resource = new Resource({ 'service.name': opts.serviceName });
  const exporter = new OTLPTraceExporter({ url: `${opts.endpoint.replace(/\/$/, '')}/v1/traces` });
  const spanProcessor = new BatchSpanProcessor(exporter);
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // Global: the Temporal interceptors take their tracer from the global API.
  provider.register();
  return { resource, spanProcessor, provider, shutdown: () => provider.shutdown() };
}
