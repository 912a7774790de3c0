/**
 * OpenTelemetry workflow interceptors, added to the worker's workflow modules only
 * when OTEL_EXPORTER_OTLP_ENDPOINT is set (src/worker/worker.ts). Spans leave the
 * sandbox through the `exporter` sink the worker registers.
 */
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [new OpenTelemetryInboundInterceptor()],
  outbound: [new OpenTelemetryOutboundInterceptor()],
  internals: [new OpenTelemetryInternalsInterceptor()],
});
