/**
 * The HTTP POST of a webhook delivery, with the URL policy of src/domain/webhook-url.ts
 * enforced where it matters: on the address the socket connects to.
 *
 * The host is resolved once, by our own `lookup` (given to the socket): every address
 * it returns is checked, and the socket connects to those checked addresses only, so
 * a name that answers a public address to a check and 127.0.0.1 to the connection
 * (DNS rebinding) cannot slip through. An IP literal is checked before connecting.
 * No redirects are followed, no connection is reused (`agent: false`), and the whole
 * exchange is bounded by `timeoutMs`.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { describeRange, forbiddenAddressRange, hostProblem } from '../domain/webhook-url';

/** The endpoint's address is not public: a permanent refusal (no connection was made). */
export class WebhookAddressRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookAddressRefused';
  }
}

const SWITCH = 'webhooks go to public addresses only (WEBHOOK_ALLOW_PRIVATE_NETWORKS)';

/** dns.lookup's shape with `all: true` (tests pass their own resolver). */
export type Resolver = (hostname: string, options: LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/**
 * A socket `lookup` that resolves the name once, refuses it if any of its addresses is
 * not public, and hands the socket exactly the addresses it checked.
 */
export function publicOnlyLookup(resolve: Resolver = dnsLookup as Resolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...(options as LookupOneOptions), all: true } as LookupAllOptions, (err, addresses) => {
      if (err) return callback(err, '', 0);
      for (const { address } of addresses) {
        const range = forbiddenAddressRange(address);
        if (range) {
          return callback(new WebhookAddressRefused(`refused: ${hostname} resolves to ${address}, ${describeRange(range)}; ${SWITCH}`), '', 0);
        }
      }
      if (!addresses.length) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
      // The socket connects to exactly these (checked) addresses: no second resolution.
      if ((options as LookupAllOptions).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

export interface WebhookPost {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowPrivateNetworks: boolean;
  /** The name resolver (default dns.lookup); tests give one that answers without DNS. */
  resolve?: Resolver;
}

/**
 * POSTs the body and resolves with the response's status code (the body is not read).
 * Rejects with WebhookAddressRefused when the endpoint is not a public address, or
 * with the network error (refused connection, timeout, TLS) otherwise.
 */
export function postWebhook(p: WebhookPost): Promise<number> {
  let url: URL;
  try {
    url = new URL(p.url);
  } catch {
    return Promise.reject(new WebhookAddressRefused('refused: the endpoint URL does not parse'));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(new WebhookAddressRefused(`refused: ${url.protocol} is not http(s)`));
  }
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (!p.allowPrivateNetworks) {
    // An IP literal never reaches `lookup`: check it here (and `localhost`). Another
    // name: `lookup` checks what it resolves to.
    const problem = hostProblem(url.hostname);
    if (problem) return Promise.reject(new WebhookAddressRefused(`refused: the endpoint ${problem}; ${SWITCH}`));
  }
  const body = Buffer.from(p.body, 'utf8');
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<number>((resolve, reject) => {
    const req = transport.request(
      {
        protocol: url.protocol,
        hostname,
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: { ...p.headers, 'content-length': String(body.length) },
        agent: false,
        signal: AbortSignal.timeout(p.timeoutMs),
        ...(p.allowPrivateNetworks ? {} : { lookup: publicOnlyLookup(p.resolve) }),
        // TLS: the certificate is checked against the URL's host name (servername defaults to it).
      },
      (res: IncomingMessage) => {
        resolve(res.statusCode ?? 0);
        // The answer's body is not needed: drop it and the connection.
        res.on('error', () => undefined);
        res.destroy();
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
