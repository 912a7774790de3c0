/**
 * B0, the baseline the workflow path is measured against: the SAME request handling
 * (body parsing, auth, validation, ownership check) and the SAME activity code
 * (createTopupPaymentActivities → postTransaction) as the API, called directly with no
 * Temporal in between. Plus the read baseline: the same wallet read query.
 *
 * Bench mode only: a separate tiny Express app started by scripts/bench, never mounted
 * by src/api. `node --import tsx scripts/bench/b0-server.ts` with DATABASE_URL and PORT.
 */
import { randomUUID } from 'node:crypto';
import express from 'express';
import { z } from 'zod';
import { createTopupPaymentActivities } from '../../src/activities/topup-payment';
import { authenticate, requireEnv } from '../../src/api/auth';
import { errorHandler, notFoundHandler } from '../../src/api/errors';
import { parseJsonBody, sendJson } from '../../src/api/json';
import { presentOrder, presentWallet } from '../../src/wire/present';
import { amount, id, productId, userId } from '../../src/api/schemas';
import { endpoint } from '../../src/api/validate';
import { loadConfig } from '../../src/config';
import { DomainError } from '../../src/domain/errors';
import { parseAmount } from '../../src/domain/money';
import { createPool, type Pool } from '../../src/db/pool';
import { findWallet, listUserWallets } from '../../src/db/queries/wallets';

async function ownedWallet(pool: Pool, envId: string, walletId: string, user: string) {
  const wallet = await findWallet(pool, envId, walletId, user);
  if (!wallet) throw new DomainError('not_found', `wallet ${walletId} not found for user ${user}`, { wallet_id: walletId });
  return wallet;
}

export function createB0App(pool: Pool): express.Express {
  const ledger = createTopupPaymentActivities({ pool });
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(express.raw({ type: () => true, limit: '64kb' }), (req, _res, next) => {
    try {
      req.body = Buffer.isBuffer(req.body) ? parseJsonBody(req.body.toString('utf8')) : {};
      next();
    } catch (err) {
      next(err);
    }
  });
  app.use('/wallet', authenticate(pool));

  app.get(
    '/wallet',
    ...endpoint({ query: z.object({ env_id: id, user_id: userId }) }, async ({ query }, _req, res) => {
      const wallets = await listUserWallets(pool, requireEnv(res, query.env_id), query.user_id);
      sendJson(res, 200, { wallets: wallets.map(presentWallet) });
    }),
  );

  app.post(
    '/wallet/topup',
    ...endpoint({ body: z.object({ env_id: id, user_id: userId, wallet_id: id, amount }) }, async ({ body }, _req, res) => {
      const envId = requireEnv(res, body.env_id);
      const wallet = await ownedWallet(pool, envId, body.wallet_id, body.user_id);
      const minor = parseAmount(body.amount, wallet.currency);
      const result = await ledger.topupWallet({
        idempotencyId: `b0-topup-${randomUUID()}:topup`,
        envId,
        walletId: wallet.id,
        amount: minor.toString(),
        currency: wallet.currency,
      });
      const after = presentWallet(result.wallet);
      sendJson(res, 200, { transaction_id: result.transactionId, wallet: after, wallets: [after] });
    }),
  );

  app.post(
    '/wallet/payment',
    ...endpoint(
      { body: z.object({ env_id: id, user_id: userId, wallet_id: id, amount, product_id: productId }) },
      async ({ body }, _req, res) => {
        const envId = requireEnv(res, body.env_id);
        const wallet = await ownedWallet(pool, envId, body.wallet_id, body.user_id);
        const minor = parseAmount(body.amount, wallet.currency);
        // The workflow's one step (payOrder: order + charge in one SQL transaction), minus Temporal.
        const workflowId = `b0-payment-${randomUUID()}`;
        const result = await ledger.payOrder({
          workflowId,
          idempotencyId: `${workflowId}:charge`,
          envId,
          walletId: wallet.id,
          userId: wallet.userId,
          productId: body.product_id,
          amount: minor.toString(),
          currency: wallet.currency,
        });
        const after = presentWallet(result.wallet);
        sendJson(res, 200, { order: presentOrder(result.order), wallet: after, wallets: [after] });
      },
    ),
  );

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}

if (require.main === module) {
  const config = loadConfig();
  const pool = createPool(config.DATABASE_URL, config.DATABASE_POOL_MAX);
  createB0App(pool).listen(config.PORT, config.HOST, () => console.log(`b0 ready: http://${config.HOST}:${config.PORT}`));
  // Exit through process.exit so `--cpu-prof` writes its profile (read-path.ts).
  process.once('SIGTERM', () => process.exit(0));
}
