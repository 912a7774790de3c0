/** OpenTelemetry is off without OTEL_EXPORTER_OTLP_ENDPOINT; with it, spans reach the endpoint over OTLP/HTTP. */
import { createServer } from 'node:http';
import { trace } from '@opentelemetry/api';
import { setupTracing } from '../../src/observability/tracing';

test('off when no endpoint is configured', () => {
  expect(setupTracing({ endpoint: undefined, serviceName: 'x' })).toBeNull();
});

test('on: a span is exported to <endpoint>/v1/traces', async () => {
  const received: string[] = [];
  const server = createServer((req, res) => {
    received.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  const tracing = setupTracing({ endpoint: `http://127.0.0.1:${port}`, serviceName: 'paynocchio-test' })!;
  try {
    trace.getTracer('test').startSpan('hello').end();
    await tracing.provider.forceFlush();
    expect(received).toContain('POST /v1/traces');
  } finally {
    await tracing.shutdown();
    server.close();
  }
});
