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

export function createLogger(opts: { name: string; level?: string }): Logger {
  const level = opts.level ?? process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info');
  return pino({
    name: opts.name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: opts.name },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** The Temporal Web UI page of one workflow (its latest run). */
export function workflowUrl(uiUrl: string, namespace: string, workflowId: string): string {
  return `${uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** The Temporal Web UI list filtered by a visibility query, e.g. PaynocchioWalletId="123". */
export function workflowListUrl(uiUrl: string, namespace: string, query: string): string {
  return `${uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}`;
}
