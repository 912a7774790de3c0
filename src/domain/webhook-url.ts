/**
 * The webhook URL policy (no I/O): which URLs a merchant may register and which
 * addresses a delivery may connect to. Merchant endpoints are on the public internet;
 * an endpoint that reaches this platform's own network (loopback, private ranges,
 * link-local and cloud metadata at 169.254.169.254, unique-local IPv6, multicast,
 * carrier-grade NAT, reserved ranges, IPv4-mapped IPv6 forms of these) would let a
 * merchant make our workers POST to internal services (SSRF).
 *
 * Registration refuses what the URL's text alone shows (scheme, credentials, control
 * characters, a forbidden IP literal, `localhost`); delivery resolves the host and
 * checks every address it will connect to (src/activities/webhook-http.ts).
 * `WEBHOOK_ALLOW_PRIVATE_NETWORKS=true` (tests, a receiver on this machine) lifts the
 * address rules, never the others.
 */
import ipaddr from 'ipaddr.js';

export const WEBHOOK_URL_MAX_LENGTH = 2048;

/**
 * Why an address may not receive webhooks (its range, e.g. `loopback`, `private`,
 * `linkLocal`), or null for a public unicast address. Accepts IPv4 and IPv6 text;
 * anything that is not an IP address is refused as `invalid`.
 */
export function forbiddenAddressRange(address: string): string | null {
  const text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (!ipaddr.isValid(text)) return 'invalid';
  let ip = ipaddr.parse(text);
  if (ip.kind() === 'ipv6') {
    const v6 = ip as ipaddr.IPv6;
    // ::ffff:a.b.c.d reaches a.b.c.d: judge the IPv4 address.
    // ::a.b.c.d (IPv4-compatible, ::/96, deprecated by RFC 4291) is not public unicast
    // whatever the embedded address: some stacks still route it to a.b.c.d.
    if (v6.parts.slice(0, 6).every((p) => p === 0) && v6.range() === 'unicast') return 'ipv4Compatible';
    if (v6.isIPv4MappedAddress()) ip = v6.toIPv4Address();
    else if (v6.range() === 'rfc6052') {
      // NAT64 (64:ff9b::/96): the gateway connects to the embedded IPv4 address.
      const parts = v6.toByteArray();
      ip = ipaddr.fromByteArray(parts.slice(12));
    }
  }
  const range = ip.range();
  return range === 'unicast' ? null : range;
}

/** A host name that names this machine whatever DNS says (RFC 6761). */
function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/** Control characters (C0, DEL) and lone surrogates: refused anywhere in a URL. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * What is wrong with `text` as a webhook endpoint URL, or null when it may be
 * registered. The address rules apply unless `allowPrivateNetworks`.
 */
export function webhookUrlProblem(text: string, opts: { allowPrivateNetworks: boolean }): string | null {
  if (CONTROL.test(text) || LONE_SURROGATE.test(text)) return 'must not contain control characters';
  if (text.length > WEBHOOK_URL_MAX_LENGTH) return `must be at most ${WEBHOOK_URL_MAX_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an absolute http(s) URL';
  if (url.username || url.password) return 'must not contain credentials';
  if (opts.allowPrivateNetworks) return null;
  return hostProblem(url.hostname);
}

/**
 * The address rule for a URL's host as the URL parser normalised it (`2130706433`
 * and `0x7f.1` are already `127.0.0.1` there): a forbidden IP literal or `localhost`.
 * A name is checked at delivery, when it is resolved.
 */
export function hostProblem(hostname: string): string | null {
  if (isLocalhostName(hostname)) return `must not point to this machine (${hostname})`;
  const literal = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (ipaddr.isValid(literal)) {
    const range = forbiddenAddressRange(literal);
    if (range) return `must be a public address: ${literal} is ${describeRange(range)}`;
  }
  return null;
}

/** `linkLocal` → "a link-local address". */
export function describeRange(range: string): string {
  const names: Record<string, string> = {
    unspecified: 'an unspecified address',
    broadcast: 'a broadcast address',
    multicast: 'a multicast address',
    linkLocal: 'a link-local address',
    loopback: 'a loopback address',
    carrierGradeNat: 'a carrier-grade NAT address',
    private: 'a private network address',
    uniqueLocal: 'a unique-local address',
    reserved: 'a reserved address',
    ipv4Compatible: 'an IPv4-compatible IPv6 address (::/96)',
    invalid: 'not an IP address',
  };
  return names[range] ?? `a special-purpose address (${range})`;
}
