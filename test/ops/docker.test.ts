/**
 * No Docker engine here: the compose file must parse and name every service and port
 * that README.md promises, with health checks; the Dockerfile must be
 * multi-stage, run as a non-root user and check its health.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CONFIG_KEYS } from '../../src/config';
import { NODE_FLAGS } from '../../src/node-flags';

const ROOT = join(__dirname, '../..');
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { ports?: string[]; healthcheck?: { test: unknown }; environment?: Record<string, unknown>; build?: unknown; image?: string; command?: unknown }>;
};

/** What the README promises: service → host port. */
const PROMISED: Record<string, number | null> = {
  postgres: 5432,
  temporal: 7233,
  'temporal-ui': 8080,
  'stripe-mock': 12111,
  api: 3000,
  worker: 9464,
  'temporal-setup': null,
};

test('every promised service is there with its port, and long-running ones have health checks', () => {
  expect(Object.keys(compose.services).sort()).toEqual(Object.keys(PROMISED).sort());
  for (const [name, port] of Object.entries(PROMISED)) {
    const service = compose.services[name]!;
    if (port === null) continue;
    // Published on the host's loopback only (issue 10): nothing of the stack faces the network.
    expect({ name, ports: service.ports }).toEqual({ name, ports: [`127.0.0.1:${port}:${port}`] });
    expect({ name, health: Boolean(service.healthcheck?.test) }).toEqual({ name, health: true });
  }
});

test('the API and worker get only variables the configuration knows, and the worker runs the worker entry', () => {
  for (const name of ['api', 'worker']) {
    for (const key of Object.keys(compose.services[name]!.environment ?? {})) {
      if (key === '<<') continue;
      expect({ name, key, known: (CONFIG_KEYS as string[]).includes(key) }).toEqual({ name, key, known: true });
    }
  }
  expect(JSON.stringify(compose.services.worker!.command)).toContain('dist/src/worker/main.js');
  expect(compose.services.api!.build).toBeDefined();
});

test('the default layout is one process (API + worker: src/main.ts, run compiled); the separate worker is the two-process profile (issue 11)', () => {
  const api = compose.services.api as { command?: string[] };
  expect(api.command!.join(' ')).toContain('dist/src/main.js');
  expect((compose.services.worker as { profiles?: string[] }).profiles).toEqual(['two-process']);
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  expect(dockerfile).toMatch(/^CMD \["node", .*"dist\/src\/main\.js"\]/m);
  // The image compiles src/ itself (scripts/build.ts) and carries what it compiled.
  expect(dockerfile).toMatch(/^RUN node --import tsx scripts\/build\.ts$/m);
  expect(dockerfile).toMatch(/^COPY --from=deps .*\/app\/dist \.\/dist$/m);
});

test('compose ships no default secret: tokens, passwords and the pepper must be given (${VAR:?…}), and every port is on 127.0.0.1', () => {
  const secretLike = /TOKEN|SECRET|PASSWORD|PWD|PEPPER|API_KEY/;
  const seen: string[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    for (const [key, value] of Object.entries(service.environment ?? {})) {
      if (!secretLike.test(key)) continue;
      seen.push(key);
      expect({ name, key, value }).toEqual({ name, key, value: expect.stringMatching(/^\$\{[A-Z_]+:\?[^}]*\}$/) });
    }
    for (const port of service.ports ?? []) expect({ name, port }).toEqual({ name, port: expect.stringMatching(/^127\.0\.0\.1:/) });
  }
  expect(seen).toEqual(expect.arrayContaining(['OPERATOR_TOKEN', 'METRICS_TOKEN', 'SECRETS_PEPPER', 'POSTGRES_PASSWORD']));
  // No `${VAR:-default}` / `${VAR-default}` for anything secret, and no password inside a URL but the required one.
  const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  for (const m of text.matchAll(/\$\{([A-Z_]+)(:?-)[^}]*\}/g)) expect({ variable: m[1], secretLike: secretLike.test(m[1]!) }).toEqual({ variable: m[1], secretLike: false });
  for (const m of text.matchAll(/postgres:\/\/[^:@\s]+:([^@\s]+)@/g)) expect(m[1]).toMatch(/^\$\{POSTGRES_PASSWORD:\?[^}]*\}$/);
});

test('the compose docs in README.md name the same ports', () => {
  const ops = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const port of Object.values(PROMISED)) if (port) expect(ops).toContain(`:${port}`);
});

test('Dockerfile: multi-stage, non-root, health check, exec-form command', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
  expect(dockerfile).toMatch(/^COPY --from=deps /m);
  const user = /^USER (\S+)/m.exec(dockerfile)?.[1];
  expect(user).toBeDefined();
  expect(['root', '0']).not.toContain(user);
  expect(dockerfile).toMatch(/^HEALTHCHECK /m);
  expect(dockerfile).toMatch(/^CMD \[/m);
});

test('the image and compose run node with the app\'s V8 flags (src/node-flags.ts) on its command line (issue 11: peak RSS)', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
  expect(cmd).toEqual(['node', ...NODE_FLAGS, 'dist/src/main.js']);
  // Not NODE_OPTIONS: node refuses --heap-growing-percent there and would not start.
  expect(dockerfile).not.toMatch(/NODE_OPTIONS=/);
  expect(compose.services.api!.command).toEqual(['node', ...NODE_FLAGS, '${PAYNOCCHIO_ENTRY:-dist/src/main.js}']);
  expect(compose.services.worker!.command).toEqual(['node', ...NODE_FLAGS, 'dist/src/worker/main.js']);
  for (const name of ['api', 'worker']) expect({ name, nodeOptions: compose.services[name]!.environment?.NODE_OPTIONS }).toEqual({ name, nodeOptions: undefined });
});
