/**
 * The gates createApp puts in front of authentication and the routers (issue 11: a wallet
 * read walks only what can answer it). They must match exactly what Express itself would:
 * a gate that skips a path Express routes would let a request around authentication.
 */
import express, { Router } from 'express';
import request from 'supertest';
import { MERCHANT_API_PATH, forRoutes } from '../../src/api/app';

test('MERCHANT_API_PATH: what app.use(["/wallet", "/environments", "/events"]) matches, in any case', () => {
  for (const p of ['/wallet', '/wallet/', '/wallet/123/status', '/WALLET/', '/Wallet/topup', '/environments/1/limits', '/events', '/events/'])
    expect([p, MERCHANT_API_PATH.test(p)]).toEqual([p, true]);
  for (const p of ['/walletx', '/wallets', '/healthz', '/metrics', '/stripe/webhook', '/console', '/', '/x/wallet'])
    expect([p, MERCHANT_API_PATH.test(p)]).toEqual([p, false]);
});

test('MERCHANT_API_PATH agrees with an Express mount on every path above', async () => {
  const app = express();
  app.use(['/wallet', '/environments', '/events'], (_req, res) => void res.send('mounted'));
  app.use((_req, res) => void res.send('not mounted'));
  for (const p of ['/wallet', '/wallet/', '/WALLET/x', '/Events', '/walletx', '/wallets', '/healthz', '/x/wallet', '/environments/1/fees']) {
    const res = await request(app).get(p);
    expect([p, res.text === 'mounted']).toEqual([p, MERCHANT_API_PATH.test(p)]);
  }
});

test('forRoutes enters a router only for paths one of its routes matches, with the same case and slash rules', async () => {
  let entered = 0;
  const router = Router();
  router.get('/wallet/monitors', (_req, res) => void res.send('monitors'));
  router.delete('/wallet/monitors/:id', (req, res) => void res.send(`deleted ${req.params.id}`));
  const app = express();
  app.use((_req, _res, next) => {
    entered = 0;
    next();
  });
  const gated = forRoutes(router);
  app.use((req, res, next) =>
    gated(req, res, (err?: unknown) => {
      if (err) return next(err);
      next();
    }),
  );
  app.use((_req, _res, next) => {
    entered++;
    next();
  });
  app.use((_req, res) => void res.status(404).send('fell through'));

  expect((await request(app).get('/wallet/monitors')).text).toBe('monitors');
  expect((await request(app).get('/WALLET/Monitors/')).text).toBe('monitors');
  expect((await request(app).delete('/wallet/monitors/7')).text).toBe('deleted 7');
  const other = await request(app).get('/wallet/');
  expect([other.status, other.text, entered]).toEqual([404, 'fell through', 1]);
  // A path the router has but not for this method: entered, then falls through as Express would.
  expect((await request(app).post('/wallet/monitors')).text).toBe('fell through');
  // The router's routes stay visible to a walk of the app (the OpenAPI coverage test).
  expect(gated.stack).toBe(router.stack);
});

test('forRoutes always enters a router that has a middleware of its own', async () => {
  const router = Router();
  router.use((_req, res, next) => {
    res.setHeader('X-Seen', '1');
    next();
  });
  router.get('/a', (_req, res) => void res.send('a'));
  const app = express();
  app.use(forRoutes(router));
  app.use((_req, res) => void res.status(404).send('none'));
  const res = await request(app).get('/b');
  expect([res.status, res.headers['x-seen']]).toEqual([404, '1']);
});
