/**
 * Structured JSON logs (pino). One logger per process; secrets never reach a log line:
 * the redact paths cover the headers that carry them (merchant secret, operator token,
 * cookies) wherever a request or its headers are logged.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'req.headers["x-wallet-signature"]',
  'req.headers.authorization',
  'req.headers["x-operator-token"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers["x-wallet-signature"]',
  'headers.authorization',
  'headers.cookie',
  'secret',
  '*.secret',
  'token',
  '*.token',
];

function baseOptions(opts: { name: string; level?: string }): pino.LoggerOptions {
  return {
    name: opts.name,
    level: opts.level ?? process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
    base: { service: opts.name },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}

export function createLogger(opts: { name: string; level?: string }): Logger {
  return pino({ ...baseOptions(opts), redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
}

/** Bytes of access lines held before a write (about ten lines), and the longest a line waits. */
export const ACCESS_LOG_BUFFER_BYTES = 4096;
export const ACCESS_LOG_FLUSH_MS = 1000;

/**
 * The access log: the one `"request completed"` line per HTTP request (src/api/observability.ts),
 * on stdout like every other line, with the same name, service and level. It differs from
 * createLogger's logger in two ways, both for the cost per request (issue 11: wallet reads):
 *
 * - Lines are buffered and written together once ACCESS_LOG_BUFFER_BYTES are held, or after
 *   ACCESS_LOG_FLUSH_MS at the latest, instead of one write (a syscall and a thread-pool round
 *   trip) per request. They are flushed when the process exits (pino registers the flush);
 *   a process killed with SIGKILL loses at most the last second of access lines.
 * - No redaction pass: an access line holds only fields observability.ts builds (request id,
 *   method, the url with `token=` masked, client address, status, time, workflow id), never
 *   headers or bodies, so there is nothing for REDACT_PATHS to find.
 */
export function createAccessLogger(opts: { name: string; level?: string }): Logger {
  const destination = pino.destination({ dest: 1, sync: false, minLength: ACCESS_LOG_BUFFER_BYTES, periodicFlush: ACCESS_LOG_FLUSH_MS });
  return pino(baseOptions(opts), destination);
}

/** The Temporal Web UI page of one workflow (its latest run). */
export function workflowUrl(uiUrl: string, namespace: string, workflowId: string): string {
  return `${uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** The Temporal Web UI list filtered by a visibility query, e.g. PaynocchioWalletId="123". */
export function workflowListUrl(uiUrl: string, namespace: string, query: string): string {
  return `${uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}`;
}
