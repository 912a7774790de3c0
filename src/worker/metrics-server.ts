/**
 * The worker's small HTTP server: GET /metrics (this process's prom-client registry
 * followed by the Temporal runtime's own exporter, fetched from loopback, so one
 * scrape target has both) and GET /healthz (for container health checks).
 */
import { createServer, type Server } from 'node:http';
import { registry } from '../observability/metrics';
import { metricsAuthorizer } from '../observability/metrics-auth';

async function runtimeMetrics(address: string | null): Promise<string> {
  if (!address) return '';
  try {
    const res = await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(2_000) });
    return res.ok ? await res.text() : `# temporal runtime exporter answered ${res.status}\n`;
  } catch {
    return '# temporal runtime exporter unreachable\n';
  }
}

export function startMetricsServer(opts: {
  host: string;
  port: number;
  runtimeAddress: string | null;
  isHealthy: () => boolean;
  /** METRICS_TOKEN: /metrics then needs it as a bearer token (/healthz stays open for health checks). */
  token?: string;
}): Promise<Server> {
  const allowed = metricsAuthorizer(opts.token);
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      if (!allowed(req.headers.authorization)) {
        res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer' });
        res.end(JSON.stringify({ error: { code: 'unauthorized', message: 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>', details: {} } }));
        return;
      }
      Promise.all([registry.metrics(), runtimeMetrics(opts.runtimeAddress)])
        .then(([own, sdk]) => {
          res.writeHead(200, { 'Content-Type': registry.contentType });
          res.end(own + '\n' + sdk);
        })
        .catch(() => {
          res.writeHead(500).end();
        });
      return;
    }
    if (req.method === 'GET' && req.url === '/healthz') {
      const ok = opts.isHealthy();
      res.writeHead(ok ? 200 : 503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ok' : 'unavailable' }));
      return;
    }
    res.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve(server));
  });
}
