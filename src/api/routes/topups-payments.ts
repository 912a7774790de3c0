/**
 * Topups and payments: each request runs a workflow (route → workflow → activity → SQL).
 * The route checks what it can cheaply (tenancy, amount precision for the wallet's
 * currency) so bad requests never start a workflow; the posting function checks it
 * all again under the row lock.
 */
import { Router } from 'express';
import { z } from 'zod';
import { AUTHORIZATION_TTL_SECONDS } from '../../domain/authorizations';
import { DomainError } from '../../domain/errors';
import { parseAmount } from '../../domain/money';
import type { PaymentInput, PaymentResult, TopupInput, TopupResult, Wallet } from '../../domain/types';
import type { Pool } from '../../db/pool';
import { findWallet } from '../../db/queries/wallets';
import { requireEnv } from '../auth';
import { respondIdempotently } from '../idempotency';
import { presentOrder, presentWallet } from '../../wire/present';
import { amount, authorizationTtl, id, productId, userId } from '../schemas';
import { authorizePayment } from '../../services/payment-authorizations';
import { runMovement, type TemporalDeps } from '../temporal';
import { resolveSplits } from '../../services/splits';
import { MAX_SPLITS } from '../../domain/splits';
import { endpoint } from '../validate';
import { movementHeaders, OrderSchema, registerRoute, WalletSchema } from '../openapi';
import type { CardTopupSettings } from '../../services/card-topups';
import { cardTopupAnswer, cardTopupExample, CardTopupSchema } from './card-topups';

export const TopupBody = z.object({
  env_id: id,
  user_id: userId,
  wallet_id: id,
  amount,
  method: z
    .enum(['funded', 'card'])
    .optional()
    .openapi({ description: "`funded` (default): from the environment's funding float; `card`: the user pays by card through Stripe (README, Card top-ups)" }),
});
const Split = z.strictObject({ wallet_id: id, amount });
export const PaymentBody = z.object({
  env_id: id,
  user_id: userId,
  wallet_id: id,
  amount,
  product_id: productId,
  splits: z
    .array(Split, { error: 'must be a list of {"wallet_id", "amount"}' })
    .min(1, 'must hold at least one split (leave it out for none)')
    .max(MAX_SPLITS, `must hold at most ${MAX_SPLITS} splits`)
    .optional()
    .openapi({ description: "Marketplace splits: parts of the amount for sellers' wallets of the same environment and currency; the rest goes to revenue" }),
  capture: z.boolean({ error: 'must be true or false' }).optional().openapi({
    description: 'false: hold the amount (order `authorized`) until POST /wallet/orders/{order_id}/capture/ or /void/, or its expiry. Default true: take it now.',
  }),
  authorization_ttl_seconds: authorizationTtl.optional(),
});
const wallet = { id: '123', user_id: '123', env_id: '123', balance: 1100.0, held: 0, currency: 'USD', status: 'active', created_at: '2026-01-01T00:00:00.000Z' };
const workflowIdHeader = { description: 'The Temporal workflow that moved the money (find it in the Web UI)' };

registerRoute({
  method: 'post', path: '/wallet/topup', tags: ['movements'], summary: 'Top up a wallet',
  description:
    "Funded (default, `method` absent or `funded`): runs the `topup` workflow: the money comes out of the environment's funding float (what the merchant deposited). " +
    'A topup the float cannot cover is refused with 422 `funding_limit_exceeded` and moves nothing. ' +
    'Card (`"method": "card"`): runs the `cardTopup` workflow, which creates a Stripe PaymentIntent and answers at once with `topup.status` ' +
    '`requires_payment` and its `client_secret` (confirm it with Stripe.js); the wallet is credited only when `payment_intent.succeeded` ' +
    'reaches `/stripe/webhook` (follow it with GET /wallet/topups/{topup_id} or the `topup.completed` / `topup.failed` events). ' +
    "Card top-ups do not use the funding float. Responds with the `Workflow-Id` header.",
  request: { body: TopupBody, headers: movementHeaders, bodyExample: { env_id: 123, user_id: 123, wallet_id: 123, amount: 100 } },
  responses: {
    200: {
      description: `Funded: the wallet after the topup. Card: the top-up waiting for its payment and the wallet (not credited yet). ${workflowIdHeader.description}`,
      schema: z.union([
        z.object({ transaction_id: z.string(), wallet: WalletSchema }),
        z.object({ topup: CardTopupSchema, wallet: WalletSchema }),
      ]),
      example: { transaction_id: '1', wallet },
    },
    502: { description: 'Card: Stripe refused to create the PaymentIntent (`provider_error`); the top-up is `failed`' },
  },
});
registerRoute({
  method: 'post', path: '/wallet/payment', tags: ['movements'], summary: 'Pay for a product from a wallet',
  description:
    'Runs the `payment` workflow. Responds with the `Workflow-Id` header. ' +
    'With `"capture": false` the amount is held instead (order `authorized`, wallet `held`; event `payment.authorized`) until ' +
    '`POST /wallet/orders/{order_id}/capture/` takes all or part of it, `/void/` releases it, or it voids itself at `expires_at` ' +
    '(`authorization_ttl_seconds`, default 7 days, at most 30). ' +
    "With `splits`, each part goes to a seller's wallet (active, same " +
    "environment and currency; otherwise 422 naming it, nothing moves) and the rest to the environment's revenue, all in one ledger transaction. " +
    'With `"capture": false` the splits are checked at authorization and paid at capture, each part scaled by captured / authorized ' +
    'and rounded down (revenue keeps the rest); a seller no longer active then refuses the capture (422, the hold is kept). ' +
    "The environment's payment fee (PUT /environments/{env_id}/fees) is taken from the sellers' parts in proportion, or from revenue without splits.",
  request: {
    body: PaymentBody,
    headers: movementHeaders,
    bodyExample: { env_id: 123, user_id: 123, wallet_id: 123, amount: 100, product_id: 'asd123', splits: [{ wallet_id: 124, amount: 80 }] },
  },
  responses: {
    200: {
      description: `The completed order and the wallet. ${workflowIdHeader.description}`,
      schema: z.object({ order: OrderSchema, wallet: WalletSchema }),
      example: {
        order: {
          id: '500000001', env_id: '123', wallet_id: '123', user_id: '123', product_id: 'asd123', amount: 100.0, captured_amount: 100.0, refunded_amount: 0,
          currency: 'USD', status: 'completed', transaction_id: '2', failure_code: null, expires_at: null, void_reason: null, created_at: '2026-01-01T00:00:00.000Z',
          fee: 1.75, splits: [{ wallet_id: '124', amount: 80.0, fee: 1.75 }],
        },
        wallet: { ...wallet, balance: 1000.0 },
      },
    },
  },
});

export async function ownedWallet(pool: Pool, envId: string, walletId: string, user: string): Promise<Wallet> {
  const wallet = await findWallet(pool, envId, walletId, user);
  if (!wallet) throw new DomainError('not_found', `wallet ${walletId} not found for user ${user}`, { wallet_id: walletId });
  return wallet;
}

export function topupPaymentRoutes(pool: Pool, temporal: TemporalDeps, cardTopups: CardTopupSettings = {}): Router {
  const router = Router();

  router.post(
    '/wallet/topup',
    ...endpoint({ body: TopupBody }, async ({ body }, req, res) => {
      const envId = requireEnv(res, body.env_id);
      await respondIdempotently(pool, req, res, envId, async (idem) => {
        if (body.method === 'card') return cardTopupAnswer(pool, temporal, cardTopups, { ...body, env_id: envId }, idem);
        const wallet = await ownedWallet(pool, envId, body.wallet_id, body.user_id);
        const minor = parseAmount(body.amount, wallet.currency);
        const { result, workflowId } = await runMovement(temporal, {
          workflowType: 'topup',
          envId,
          walletId: wallet.id,
          userId: wallet.userId,
          ...idem,
          args: { envId, walletId: wallet.id, amount: minor.toString(), currency: wallet.currency },
        });
        const after = presentWallet(result.wallet);
        return { status: 200, workflowId, body: { transaction_id: result.transactionId, wallet: after, wallets: [after] } };
      });
    }),
  );

  router.post(
    '/wallet/payment',
    ...endpoint(
      { body: PaymentBody },
      async ({ body }, req, res) => {
        const envId = requireEnv(res, body.env_id);
        if (body.authorization_ttl_seconds !== undefined && body.capture !== false) {
          throw new DomainError('invalid_request', 'authorization_ttl_seconds: only with "capture": false');
        }
        await respondIdempotently(pool, req, res, envId, async (idem) => {
          const wallet = await ownedWallet(pool, envId, body.wallet_id, body.user_id);
          const minor = parseAmount(body.amount, wallet.currency);
          const splits = await resolveSplits(pool, wallet, minor, body.splits);
          if (body.capture === false) {
            // Authorize now, capture later (README, Authorize and capture).
            const { result, workflowId } = await authorizePayment(
              { pool, temporal },
              {
                envId,
                walletId: wallet.id,
                userId: wallet.userId,
                productId: body.product_id,
                amount: minor.toString(),
                currency: wallet.currency,
                authorization: { ttlSeconds: body.authorization_ttl_seconds ?? AUTHORIZATION_TTL_SECONDS.default },
                ...(splits ? { splits } : {}),
              },
              idem,
            );
            const after = presentWallet(result.wallet);
            return { status: 200, workflowId, body: { order: presentOrder(result.order), wallet: after, wallets: [after] } };
          }
          const { result, workflowId } = await runMovement(temporal, {
            workflowType: 'payment',
            envId,
            walletId: wallet.id,
            userId: wallet.userId,
            ...idem,
            args: {
              envId,
              walletId: wallet.id,
              userId: wallet.userId,
              productId: body.product_id,
              amount: minor.toString(),
              currency: wallet.currency,
              ...(temporal.paymentTwoSteps ? { twoSteps: true as const } : {}),
              ...(splits ? { splits } : {}),
            },
          });
          // `wallets` repeats the wallet because the docs' payment snippet reads
          // response.json()["wallets"][0]["user_id"] from this answer.
          const after = presentWallet(result.wallet);
          return { status: 200, workflowId, body: { order: presentOrder(result.order), wallet: after, wallets: [after] } };
        });
      },
    ),
  );

  return router;
}
