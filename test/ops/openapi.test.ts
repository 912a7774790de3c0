/**
 * The OpenAPI document covers the app: every route found by walking the Express
 * router is in it (a route added without registerRoute fails here), and every
 * example in it validates against the zod schema the route itself uses.
 */
import { parse as parseLossless } from 'lossless-json';
import request from 'supertest';
import { documentedRoutes, openApiDocument, toOpenApiPath } from '../../src/api/openapi';
import { startTestContext, type TestContext } from '../helpers/stack';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await startTestContext();
});
afterAll(async () => ctx.close());

interface Layer {
  name?: string;
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  matchers?: unknown[];
  slash?: boolean;
}

/** Every (method, path) the app answers, from its router stack, descending into routers mounted without a path. */
function appRoutes(stack: Layer[]): string[] {
  const out: string[] = [];
  for (const layer of stack) {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      for (const p of paths) for (const m of Object.keys(layer.route.methods)) if (m !== '_all') out.push(`${m} ${p}`);
    } else if (layer.handle?.stack) {
      // Routers are mounted with app.use(router): a mount path would hide the full path from this walk.
      if (!layer.slash) throw new Error('a router is mounted under a path: mount routers with app.use(router) and full paths');
      out.push(...appRoutes(layer.handle.stack));
    }
  }
  return out;
}

test('every route of the app is in the document, and nothing in the document is not a route', () => {
  const routes = appRoutes((ctx.app as unknown as { router: { stack: Layer[] } }).router.stack);
  expect(routes.length).toBeGreaterThanOrEqual(10);
  const doc = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
  const inDoc = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
  const missing = routes.filter((r) => {
    const [method, path] = r.split(' ') as [string, string];
    return !inDoc.includes(`${method} ${toOpenApiPath(path)}`);
  });
  expect(missing).toEqual([]);
  const routesAsDoc = routes.map((r) => {
    const [method, path] = r.split(' ') as [string, string];
    return `${method} ${toOpenApiPath(path)}`;
  });
  expect(inDoc.filter((d) => !routesAsDoc.includes(d))).toEqual([]);
});

test('examples validate against the schemas the routes use', () => {
  let checked = 0;
  for (const route of documentedRoutes) {
    if (route.request?.body && route.request.bodyExample !== undefined) {
      // The same path a real body takes: lossless-json keeps numbers as their text.
      const body = parseLossless(JSON.stringify(route.request.bodyExample));
      const result = route.request.body.safeParse(body);
      expect({ route: `${route.method} ${route.path}`, issues: result.success ? [] : result.error.issues }).toEqual({
        route: `${route.method} ${route.path}`,
        issues: [],
      });
      checked++;
    }
    for (const [status, spec] of Object.entries(route.responses)) {
      if (spec.schema && spec.example !== undefined) {
        const result = spec.schema.safeParse(spec.example);
        expect({ route: `${route.method} ${route.path} ${status}`, ok: result.success }).toEqual({
          route: `${route.method} ${route.path} ${status}`,
          ok: true,
        });
        checked++;
      }
    }
  }
  expect(checked).toBeGreaterThanOrEqual(8);
});

test('GET /openapi.json is OpenAPI 3.1 with the security schemes and the error shape', async () => {
  const res = await request(ctx.app).get('/openapi.json');
  expect(res.status).toBe(200);
  expect(res.body.openapi).toBe('3.1.0');
  expect(res.body.components.securitySchemes.walletSignature).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Wallet-Signature' });
  expect(res.body.components.schemas.Error.properties.error.properties.code.enum).toContain('insufficient_funds');
  expect(res.body.paths['/wallet/topup'].post.parameters).toEqual(
    expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'Idempotency-Key' })]),
  );
});

test('GET /docs serves Swagger UI from local assets only (no CDN)', async () => {
  const page = await request(ctx.app).get('/docs');
  expect(page.status).toBe(200);
  expect(page.text).toContain('/docs/assets/swagger-ui-bundle.js');
  expect(page.text).not.toMatch(/https?:\/\//);
  for (const asset of ['swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'swagger-ui.css']) {
    const res = await request(ctx.app).get(`/docs/assets/${asset}`);
    expect([asset, res.status]).toEqual([asset, 200]);
  }
});
