/**
 * Reaching Temporal over TLS, as against a TLS cluster: a TLS proxy (a throwaway CA and
 * server certificate made with openssl, ALPN h2) in front of the suite's plaintext dev
 * server. The options built from TEMPORAL_TLS_* connect both connection kinds through
 * it; without the CA the handshake is refused; bad settings stop the start by name.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { temporalConnectionOptions } from '../../src/temporal-connection';
import { readStack } from '../helpers/stack';

const dir = mkdtempSync(join(tmpdir(), 'paynocchio-tls-'));
const file = (name: string) => join(dir, name);
let proxy: Server;
let proxyAddress: string;

function openssl(...args: string[]) {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

beforeAll(async () => {
  // A CA, and a server certificate for "temporal.test" signed by it.
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=paynocchio test CA', '-keyout', file('ca.key'), '-out', file('ca.pem'));
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=temporal.test', '-keyout', file('server.key'), '-out', file('server.csr'));
  writeFileSync(file('ext.cnf'), 'subjectAltName=DNS:temporal.test\n');
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', file('ext.cnf'), '-out', file('server.pem'));

  const [host, port] = readStack().temporalAddress.split(':') as [string, string];
  proxy = createServer({ key: readFileSync(file('server.key')), cert: readFileSync(file('server.pem')), ALPNProtocols: ['h2'] }, (client) => {
    const upstream = netConnect(Number(port), host);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyAddress = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const tlsConfig = (extra: Record<string, string> = {}) =>
  loadConfig({
    DATABASE_URL: 'postgres://x/y',
    TEMPORAL_ADDRESS: proxyAddress,
    TEMPORAL_TLS_CA_PATH: file('ca.pem'),
    TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
    ...extra,
  });

test('with the CA and server name, both connection kinds reach Temporal through TLS', async () => {
  const options = temporalConnectionOptions(tlsConfig());
  expect(options.tls?.serverNameOverride).toBe('temporal.test');
  const grpc = await Connection.connect({ ...options, connectTimeout: 5_000 });
  try {
    expect((await grpc.workflowService.getSystemInfo({})).serverVersion).toEqual(expect.any(String));
  } finally {
    await grpc.close();
  }
  const native = await NativeConnection.connect(options);
  try {
    expect((await native.workflowService.getSystemInfo({})).serverVersion).toEqual(expect.any(String));
  } finally {
    await native.close();
  }
});

test('without TLS settings the connection is plaintext, and TLS without the CA is refused', async () => {
  expect(temporalConnectionOptions(loadConfig({ DATABASE_URL: 'postgres://x/y' }))).toEqual({ address: '127.0.0.1:7233' });
  const untrusted = temporalConnectionOptions(loadConfig({ DATABASE_URL: 'postgres://x/y', TEMPORAL_ADDRESS: proxyAddress, TEMPORAL_TLS: 'true' }));
  expect(untrusted.tls).toEqual({});
  await expect(Connection.connect({ ...untrusted, connectTimeout: 3_000 })).rejects.toThrow();
});

test('an API key implies TLS; half an mTLS pair or an unreadable file stops the start by name', () => {
  const cloud = temporalConnectionOptions(loadConfig({ DATABASE_URL: 'postgres://x/y', TEMPORAL_API_KEY: 'key-123' }));
  expect(cloud).toMatchObject({ tls: {}, apiKey: 'key-123' });
  expect(() => loadConfig({ DATABASE_URL: 'postgres://x/y', TEMPORAL_TLS_CERT_PATH: file('server.pem') })).toThrow(/TEMPORAL_TLS_KEY_PATH/);
  const pair = temporalConnectionOptions(tlsConfig({ TEMPORAL_TLS_CERT_PATH: file('server.pem'), TEMPORAL_TLS_KEY_PATH: file('server.key') }));
  expect(Buffer.from(pair.tls!.clientCertPair!.crt).toString()).toContain('BEGIN CERTIFICATE');
  expect(() => temporalConnectionOptions(tlsConfig({ TEMPORAL_TLS_CA_PATH: file('missing.pem') }))).toThrow(/TEMPORAL_TLS_CA_PATH.*ENOENT/);
});
