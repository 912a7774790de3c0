/**
 * The webhook URL policy as strings (never by connecting: traffic from this machine
 * goes to loopback only), the resolving `lookup` with resolvers that answer without
 * DNS, and the POST itself against a receiver on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { LookupAddress } from 'node:dns';
import type { AddressInfo } from 'node:net';
import { postWebhook, publicOnlyLookup, WebhookAddressRefused, type Resolver } from '../../src/activities/webhook-http';
import { forbiddenAddressRange, webhookUrlProblem } from '../../src/domain/webhook-url';

test.each([
  ['127.0.0.1', 'loopback'],
  ['127.255.0.9', 'loopback'],
  ['10.0.0.1', 'private'],
  ['172.16.5.4', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.0.1', 'private'],
  ['169.254.169.254', 'linkLocal'], // cloud metadata
  ['100.64.0.1', 'carrierGradeNat'],
  ['0.0.0.0', 'unspecified'],
  ['224.0.0.251', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['240.0.0.1', 'reserved'],
  ['::1', 'loopback'],
  ['::', 'unspecified'],
  ['fe80::1', 'linkLocal'],
  ['fc00::1', 'uniqueLocal'],
  ['fd00:ec2::254', 'uniqueLocal'],
  ['ff02::1', 'multicast'],
  ['::ffff:127.0.0.1', 'loopback'], // IPv4-mapped: judged as the IPv4 address
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:169.254.169.254', 'linkLocal'],
  ['64:ff9b::a00:1', 'private'], // NAT64 of 10.0.0.1
  ['[::1]', 'loopback'],
  ['::7f00:1', 'ipv4Compatible'], // IPv4-compatible ::127.0.0.1 (::/96, deprecated): never public
  ['::a9fe:a9fe', 'ipv4Compatible'], // ::169.254.169.254
  ['::808:808', 'ipv4Compatible'],
  ['not-an-ip', 'invalid'],
])('%s is refused as %s', (address, range) => {
  expect(forbiddenAddressRange(address)).toBe(range);
});

test.each(['8.8.8.8', '1.1.1.1', '93.184.215.14', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])('%s is public', (address) => {
  expect(forbiddenAddressRange(address)).toBeNull();
});

test('registration refuses an IPv4-compatible IPv6 literal', () => {
  expect(webhookUrlProblem('http://[::127.0.0.1]:5432/', { allowPrivateNetworks: false })).toMatch(/IPv4-compatible/);
});

test('registration: literal internal hosts in every spelling, localhost, bad schemes, credentials and control characters are refused', () => {
  const off = { allowPrivateNetworks: false };
  const refused: [string, RegExp][] = [
    ['http://localhost:3000/hooks', /this machine/],
    ['http://LOCALHOST./hooks', /this machine/],
    ['http://api.localhost/hooks', /this machine/],
    ['http://127.0.0.1:5432/', /127\.0\.0\.1 is a loopback address/],
    ['http://2130706433:8080/', /127\.0\.0\.1 is a loopback address/], // one number
    ['http://0x7f.1/', /127\.0\.0\.1 is a loopback address/], // hex, shorthand
    ['http://017700000001/', /127\.0\.0\.1 is a loopback address/], // octal
    ['http://0/', /unspecified/],
    ['http://[::1]:8080/', /loopback/],
    ['http://[::ffff:127.0.0.1]/', /loopback/],
    ['http://10.0.0.1/', /private/],
    ['http://192.168.1.10/', /private/],
    ['http://169.254.169.254/latest/meta-data/', /link-local/],
    ['http://[fe80::1]/', /link-local/],
    ['http://[fd00::1]/', /unique-local/],
    ['http://100.64.1.1/', /carrier-grade NAT/],
    ['http://224.0.0.1/', /multicast/],
    ['ftp://merchant.example/', /http\(s\)/],
    ['file:///etc/passwd', /http\(s\)/],
    ['gopher://127.0.0.1:6379/', /http\(s\)/],
    ['not a url', /http\(s\)/],
    ['https://user:pass@merchant.example/hooks', /credentials/],
    ['https://merchant.example/a\u0000b', /control characters/],
    ['https://merchant.example/\nx', /control characters/],
    ['https://merchant.example/\u007f', /control characters/],
    ['https://merchant.example/\ud800', /control characters/],
    [`https://merchant.example/${'a'.repeat(2048)}`, /at most 2048/],
  ];
  for (const [url, why] of refused) expect([url, webhookUrlProblem(url, off)]).toEqual([url, expect.stringMatching(why)]);
  for (const url of ['https://merchant.example/paynocchio/hooks', 'http://hooks.merchant.example:8443/x?y=1', 'https://8.8.8.8/hooks', 'https://[2606:4700:4700::1111]/']) {
    expect([url, webhookUrlProblem(url, off)]).toEqual([url, null]);
  }
  // The switch lifts the address rules only.
  expect(webhookUrlProblem('http://127.0.0.1:5432/', { allowPrivateNetworks: true })).toBeNull();
  expect(webhookUrlProblem('http://localhost:3000/', { allowPrivateNetworks: true })).toBeNull();
  expect(webhookUrlProblem('https://u:p@127.0.0.1/', { allowPrivateNetworks: true })).toMatch(/credentials/);
  expect(webhookUrlProblem('http://127.0.0.1/\u0000', { allowPrivateNetworks: true })).toMatch(/control characters/);
});

/** A resolver answering `answers` for every name, counting its calls. */
function fakeResolver(answers: string[]): Resolver & { calls: number } {
  const resolve = ((_host, _opts, cb) => {
    resolve.calls++;
    cb(null, answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  }) as Resolver & { calls: number };
  resolve.calls = 0;
  return resolve;
}

function lookupWith(resolve: Resolver, all: boolean): Promise<{ err: Error | null; result: unknown }> {
  return new Promise((done) =>
    publicOnlyLookup(resolve)('hooks.merchant.example', { all } as never, (err: Error | null, address: unknown, family?: unknown) =>
      done({ err, result: all ? address : [address, family] }),
    ),
  );
}

test('the lookup refuses a name when any address it resolves to is internal, and hands on exactly the addresses it checked', async () => {
  for (const answers of [['127.0.0.1'], ['10.0.0.7'], ['169.254.169.254'], ['fd00::1'], ['::ffff:127.0.0.1'], ['8.8.8.8', '192.168.1.1']]) {
    const { err } = await lookupWith(fakeResolver(answers), true);
    expect(err).toBeInstanceOf(WebhookAddressRefused);
    expect(err!.message).toContain(`hooks.merchant.example resolves to ${answers.find((a) => forbiddenAddressRange(a))}`);
  }
  const publicAnswers = ['8.8.8.8', '2606:4700:4700::1111'];
  const all = await lookupWith(fakeResolver(publicAnswers), true);
  expect(all.err).toBeNull();
  expect((all.result as LookupAddress[]).map((a) => a.address)).toEqual(publicAnswers);
  const one = await lookupWith(fakeResolver(publicAnswers), false);
  expect(one).toEqual({ err: null, result: ['8.8.8.8', 4] });
});

describe('postWebhook against a receiver on 127.0.0.1', () => {
  let server: Server;
  let port = 0;
  let received = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      received++;
      req.resume();
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const post = (url: string, allowPrivateNetworks: boolean, resolve?: Resolver) =>
    postWebhook({ url, headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs: 5_000, allowPrivateNetworks, resolve });

  test('with the switch on it delivers (the receiver works), with it off nothing reaches the receiver', async () => {
    expect(await post(`http://127.0.0.1:${port}/hooks`, true)).toBe(204);
    expect(received).toBe(1);

    for (const url of [`http://127.0.0.1:${port}/hooks`, `http://2130706433:${port}/`, `http://localhost:${port}/`, `http://[::ffff:127.0.0.1]:${port}/`]) {
      await expect(post(url, false)).rejects.toThrow(WebhookAddressRefused);
    }
    // A name that resolves to loopback: refused by the lookup, before any connection.
    const resolve = fakeResolver(['127.0.0.1']);
    await expect(post(`http://hooks.merchant.example:${port}/`, false, resolve)).rejects.toThrow(/resolves to 127\.0\.0\.1, a loopback address/);
    expect(resolve.calls).toBe(1);
    // Over TLS too: the socket's lookup is ours.
    const tls = fakeResolver(['10.0.0.7']);
    await expect(post(`https://hooks.merchant.example:${port}/`, false, tls)).rejects.toThrow(/resolves to 10\.0\.0\.7, a private network address/);
    expect(tls.calls).toBe(1);
    expect(received).toBe(1);
  });
});
