/**
 * The OpenAPI 3.1 document, generated from the same zod schemas the routes validate
 * with. The entries live in src/api/docs/<feature>.ts, one function per feature, all
 * called here (DOCUMENTS) when this module loads — explicitly, not as a side effect of
 * importing a route. test/ops/openapi.test.ts walks the Express router and fails when a
 * route has no entry, so a new route cannot ship undocumented.
 */
import { OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { registry } from './docs/registry';
import { documentHealth } from './docs/health';
import { documentApiDocs } from './docs/api-docs';
import { documentMetrics } from './docs/metrics';
import { documentWallets } from './docs/wallets';
import { documentLimits } from './docs/limits';
import { documentFees } from './docs/fees';
import { documentTopupsPayments } from './docs/topups-payments';
import { documentCardTopups } from './docs/card-topups';
import { documentAuthorizations } from './docs/authorizations';
import { documentBatch } from './docs/batch';
import { documentTransfers } from './docs/transfers';
import { documentRefunds } from './docs/refunds';
import { documentOrders } from './docs/orders';
import { documentHistory } from './docs/history';
import { documentStatements } from './docs/statements';
import { documentLedger } from './docs/ledger';
import { documentWithdrawals } from './docs/withdrawals';
import { documentStripeConnect } from './docs/stripe-connect';
import { documentStripeWebhook } from './docs/stripe-webhook';
import { documentSchedules } from './docs/schedules';
import { documentWebhooks } from './docs/webhooks';
import { documentEvents } from './docs/events';
import { documentMonitors } from './docs/monitors';
import { documentConsole } from './docs/console';

export { documentedRoutes, toOpenApiPath } from './docs/registry';

/** Every feature's entries, in the order the document lists them. */
const DOCUMENTS: (() => void)[] = [
  documentHealth,
  documentApiDocs,
  documentMetrics,
  documentWallets,
  documentLimits,
  documentFees,
  documentTopupsPayments,
  documentCardTopups,
  documentAuthorizations,
  documentBatch,
  documentTransfers,
  documentRefunds,
  documentOrders,
  documentHistory,
  documentStatements,
  documentLedger,
  documentWithdrawals,
  documentStripeConnect,
  documentStripeWebhook,
  documentSchedules,
  documentWebhooks,
  documentEvents,
  documentMonitors,
  documentConsole,
];
for (const document of DOCUMENTS) document();

let cached: object | null = null;

export function openApiDocument(): object {
  cached ??= new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Paynocchio API',
      version: '0.1.0',
      description:
        'Wallet-as-a-service: wallets, topups, payments and withdrawals. Money-moving responses carry a `Workflow-Id` header naming the Temporal workflow that moved the money.',
    },
    servers: [{ url: '/' }],
  });
  return cached;
}
