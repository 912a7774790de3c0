/**
 * The OpenAPI registry: shared component schemas (Wallet, Order, Error, …) and
 * registerRoute(...), which the per-feature documents in this folder call. Nothing here
 * registers a route: src/api/openapi.ts calls each feature's document function.
 */
import '../zod-openapi';
import { OpenAPIRegistry, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { CURRENCIES } from '../../domain/money';
import { ERROR_CODES } from '../../domain/errors';
import { VOID_REASONS } from '../../domain/authorizations';
import { ORDER_STATUSES, WALLET_STATUSES } from '../../domain/types';
import { WITHDRAWAL_STATUSES } from '../../domain/withdrawals';
import { EVENT_TYPES } from '../../domain/events';
import { TRANSACTION_TYPES } from '../../domain/postings';

export const registry = new OpenAPIRegistry();

registry.registerComponent('securitySchemes', 'walletSignature', {
  type: 'apiKey',
  in: 'header',
  name: 'X-Wallet-Signature',
  description:
    "The environment's secret; or, in signed mode, `v2=<hex HMAC-SHA256>` with X-Wallet-Env, X-Wallet-Timestamp and (on POST) Idempotency-Key (README: Signed requests).",
});
registry.registerComponent('securitySchemes', 'operatorToken', {
  type: 'http',
  scheme: 'bearer',
  description: 'OPERATOR_TOKEN (operator console only).',
});

/** Money on the wire: a JSON number with exactly the currency's decimals (1012.12). */
export const moneyOut = z.number().openapi({ example: 1000.0, description: "Exact decimal in major units, with the currency's decimals" });

/** The first fields of every record a wallet owns (order, withdrawal, card top-up, schedule). */
export const walletRecordFields = { id: z.string(), env_id: z.string(), wallet_id: z.string(), user_id: z.string() };

export const WalletSchema = registry.register(
  'Wallet',
  z.object({
    id: z.string().openapi({ example: '123' }),
    user_id: z.string().openapi({ example: '123' }),
    env_id: z.string().openapi({ example: '123' }),
    balance: moneyOut,
    held: moneyOut.openapi({ example: 0, description: 'Reserved by withdrawals in flight and uncaptured payment authorizations' }),
    currency: z.enum(CURRENCIES as [string, ...string[]]),
    status: z.enum(WALLET_STATUSES),
    created_at: z.string().openapi({ example: '2026-01-01T00:00:00.000Z' }),
  }),
);

export const OrderSchema = registry.register(
  'Order',
  z.object({
    ...walletRecordFields,
    product_id: z.string(),
    amount: moneyOut.openapi({ description: 'What was asked (for an authorization: what is held until captured)' }),
    captured_amount: moneyOut.openapi({ description: 'What the payment took: the amount, or the captured part of an authorization (0 until captured)' }),
    refunded_amount: moneyOut,
    currency: z.enum(CURRENCIES as [string, ...string[]]),
    status: z.enum(ORDER_STATUSES),
    transaction_id: z.string().nullable(),
    failure_code: z.string().nullable(),
    expires_at: z.string().nullable().openapi({ description: 'Authorizations only: when an uncaptured hold voids itself' }),
    void_reason: z.enum(VOID_REASONS).nullable().openapi({ description: 'Voided authorizations only: requested (POST …/void/), expired, canceled (workflow canceled by an operator)' }),
    created_at: z.string(),
    fee: moneyOut.openapi({ example: 0, description: "The payment's fee (taken from the sellers' splits in proportion, else from revenue)" }),
    splits: z
      .array(z.object({ wallet_id: z.string(), amount: moneyOut, fee: moneyOut.openapi({ description: "This seller's part of the payment's fee" }) }))
      .openapi({ description: "Parts credited to sellers' wallets (the seller receives amount − fee); empty: all to revenue" }),
  }),
);

/** The answer of a payment, a capture and a void: the order and the wallet after it. */
export const OrderWithWalletSchema = z.object({ order: OrderSchema, wallet: WalletSchema });

export const TransferSchema = registry.register(
  'Transfer',
  z.object({
    id: z.string(),
    env_id: z.string(),
    from_wallet_id: z.string(),
    to_wallet_id: z.string(),
    amount: moneyOut,
    currency: z.enum(CURRENCIES as [string, ...string[]]),
    reference: z.string().nullable(),
    fee: moneyOut.openapi({ example: 0, description: 'Charged to the sender on top of the amount' }),
  }),
);

export const RefundSchema = registry.register(
  'Refund',
  z.object({
    id: z.string(),
    order_id: z.string(),
    amount: moneyOut,
    currency: z.enum(CURRENCIES as [string, ...string[]]),
    from_revenue: z.boolean(),
    splits: z
      .array(z.object({ wallet_id: z.string(), amount: moneyOut }))
      .openapi({ description: 'What this refund took back from each seller of a split payment (empty with from_revenue)' }),
  }),
);

/** One ledger posting of a wallet (GET /wallet/{wallet_id}/transactions). */
export const MovementSchema = registry.register(
  'Movement',
  z.object({
    id: z.string().openapi({ description: 'The ledger transaction' }),
    posting_id: z.string().openapi({ description: 'The posting of this wallet in that transaction (the cursor)' }),
    type: z.enum(TRANSACTION_TYPES),
    amount: moneyOut.openapi({ description: 'Signed: negative when money left the wallet' }),
    balance_after: moneyOut,
    fee: moneyOut.openapi({ example: 0, description: 'The fee this wallet paid in this transaction (included in amount; negative: given back)' }),
    currency: z.enum(CURRENCIES as [string, ...string[]]),
    reference: z.string().nullable(),
    created_at: z.string(),
  }),
);

export const WithdrawalSchema = registry.register(
  'Withdrawal',
  z.object({
    ...walletRecordFields,
    amount: moneyOut,
    fee: moneyOut.openapi({ example: 0, description: 'Charged on top of the amount with the hold; given back if the withdrawal fails' }),
    currency: z.enum(CURRENCIES as [string, ...string[]]),
    status: z.enum(WITHDRAWAL_STATUSES),
    stripe_account_id: z.string().nullable(),
    stripe_transfer_id: z.string().nullable(),
    stripe_payout_id: z.string().nullable(),
    failure_code: z.string().nullable(),
    failure_message: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  }),
);

export const WithdrawalEventSchema = registry.register(
  'WithdrawalEvent',
  z.object({
    seq: z.number().int(),
    step: z.string().openapi({ example: 'funds_held' }),
    detail: z.record(z.string(), z.unknown()),
    at: z.string(),
  }),
);

/** A merchant webhook endpoint (its signing secret is only in the answer that creates it). */
export const WebhookEndpointSchema = registry.register(
  'WebhookEndpoint',
  z.object({
    id: z.string(),
    env_id: z.string(),
    url: z.string(),
    event_types: z.array(z.enum(EVENT_TYPES)),
    status: z.enum(['enabled', 'disabled']),
    created_at: z.string(),
  }),
);

export const ErrorSchema = registry.register(
  'Error',
  z.object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
    }),
  }),
);

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json. */
  contentType?: string;
  example?: unknown;
}

export interface RouteDoc {
  method: Method;
  /** The Express path, as mounted ("/wallet/:wallet_id/status"). */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  auth?: 'merchant' | 'operator' | 'none';
  request?: { body?: z.ZodType; query?: z.ZodObject; params?: z.ZodObject; bodyExample?: unknown; headers?: z.ZodObject };
  responses: Record<number, ResponseSpec>;
}

/** What tests check: every registered route, with its schemas and examples. */
export const documentedRoutes: RouteDoc[] = [];

/** "/wallet/:env_id/orders/:user_id" → "/wallet/{env_id}/orders/{user_id}" */
export function toOpenApiPath(expressPath: string): string {
  return expressPath.replace(/:(\w+)/g, '{$1}');
}

const MERCHANT_ERRORS = [401, 403, 404, 422, 503];

export function registerRoute(doc: RouteDoc): void {
  if (documentedRoutes.some((r) => r.method === doc.method && r.path === doc.path)) throw new Error(`${doc.method} ${doc.path} is documented twice`);
  documentedRoutes.push(doc);
  const auth = doc.auth ?? 'merchant';
  const responses: RouteConfig['responses'] = {};
  for (const [status, spec] of Object.entries(doc.responses)) {
    responses[status] = {
      description: spec.description,
      ...(spec.schema || spec.contentType
        ? {
            content: {
              [spec.contentType ?? 'application/json']: {
                schema: spec.schema ?? z.string(),
                ...(spec.example !== undefined ? { example: spec.example } : {}),
              },
            },
          }
        : {}),
    };
  }
  if (auth === 'merchant') {
    for (const status of MERCHANT_ERRORS) {
      responses[status] ??= { description: 'Error', content: { 'application/json': { schema: ErrorSchema } } };
    }
  }
  registry.registerPath({
    method: doc.method,
    path: toOpenApiPath(doc.path),
    summary: doc.summary,
    description: doc.description,
    tags: doc.tags,
    security: auth === 'merchant' ? [{ walletSignature: [] }] : auth === 'operator' ? [{ operatorToken: [] }] : [],
    request: {
      ...(doc.request?.params ? { params: doc.request.params } : {}),
      ...(doc.request?.query ? { query: doc.request.query } : {}),
      ...(doc.request?.headers ? { headers: doc.request.headers } : {}),
      ...(doc.request?.body
        ? {
            body: {
              required: true,
              content: {
                'application/json': {
                  schema: doc.request.body,
                  ...(doc.request.bodyExample !== undefined ? { example: doc.request.bodyExample } : {}),
                },
              },
            },
          }
        : {}),
    },
    responses,
  });
}

/**
 * DELETE of a record merchants switch off rather than erase (a monitor, a webhook endpoint):
 * it stays readable, and the answer is the record with `status: disabled`.
 */
export function registerDisable(
  route: Pick<RouteDoc, 'path' | 'tags' | 'summary' | 'request'>,
  answer: { description: string; schema: z.ZodType; example: object },
): void {
  registerRoute({ method: 'delete', ...route, responses: { 200: { ...answer, example: { ...answer.example, status: 'disabled' } } } });
}

/** Headers shared by the money-moving routes. */
export const movementHeaders = z.object({
  'Idempotency-Key': z
    .string()
    .optional()
    .openapi({ description: 'Retrying with the same key returns the first result and never moves money twice', example: 'order-42' }),
});
