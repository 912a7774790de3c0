/**
 * The shapes workflows and activities exchange. Every amount is a string of minor
 * units (see money.ts), every id a string of digits. Plain JSON: these cross
 * Temporal's payload converter.
 */
import type { Currency } from './money';
import type { VoidReason } from './authorizations';
import type { SplitPart } from './fees';

export const WALLET_STATUSES = ['active', 'suspended', 'closed'] as const;
export type WalletStatus = (typeof WALLET_STATUSES)[number];

export const ORDER_STATUSES = ['pending', 'authorized', 'completed', 'failed', 'voided', 'refunded', 'partially_refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export interface Wallet {
  id: string;
  envId: string;
  userId: string;
  currency: Currency;
  status: WalletStatus;
  /** What the user can spend now, minor units. */
  balance: string;
  /** What withdrawals in flight reserve, minor units. */
  held: string;
  createdAt: string;
}

export interface Order {
  id: string;
  envId: string;
  walletId: string;
  userId: string;
  productId: string;
  amount: string;
  /** What the payment took: the amount for a payment captured at once, the captured part of an authorization. */
  capturedAmount: string;
  refundedAmount: string;
  currency: Currency;
  status: OrderStatus;
  /** The `payment` posting (for an authorization: its capture). */
  transactionId: string | null;
  failureCode: string | null;
  /** Authorizations only: when an uncaptured hold voids itself. */
  expiresAt: string | null;
  /** Voided authorizations only. */
  voidReason: VoidReason | null;
  createdAt: string;
  /** The payment's fee (minor units): taken from its splits, or from revenue without splits. */
  fee: string;
  /** Parts credited to sellers' wallets, in the request's order (empty: all to revenue). */
  splits: SplitPart[];
}

/** A payment's split as requested: a part of its amount (minor units) for a seller's wallet. */
export interface PaymentSplit {
  walletId: string;
  amount: string;
}

/** An amount for one wallet: what the input of every movement on a single wallet starts with. */
export interface WalletAmount {
  envId: string;
  walletId: string;
  /** Minor units. */
  amount: string;
  currency: Currency;
}

export type TopupInput = WalletAmount;

export interface TopupResult {
  transactionId: string;
  wallet: Wallet;
}

export interface PaymentInput extends WalletAmount {
  userId: string;
  productId: string;
  /**
   * Run the payment as two local activities (createOrder, then chargeOrder), as before
   * issue 11: set only when PAYMENT_SINGLE_ACTIVITY=false (a benchmark lever). Absent:
   * one local activity (payOrder) for workflows started since the patch.
   */
  twoSteps?: true;
  /** Marketplace splits (issue 12): parts for sellers' wallets, the rest to revenue. Absent: none. */
  splits?: PaymentSplit[];
  /**
   * `"capture": false` (issue 12): hold the amount instead of taking it; the workflow
   * waits for a capture or a void (updates) or voids it itself after ttlSeconds.
   * Absent on every payment captured at once (and in every history recorded before it).
   */
  authorization?: { ttlSeconds: number };
}

export interface PaymentResult {
  order: Order;
  wallet: Wallet;
}

/** Search attributes and memo keys set on every workflow, so operators find a wallet's workflows. */
export const SEARCH_ATTRIBUTES = {
  envId: 'PaynocchioEnvId',
  walletId: 'PaynocchioWalletId',
  userId: 'PaynocchioUserId',
  kind: 'PaynocchioKind',
} as const;

/**
 * KeywordList search attributes: a workflow about many payments and wallets (a payment
 * batch, src/workflows/payment-batch.ts) lists them, so `PaynocchioPaymentIds = "<id>"`
 * finds the batch that ran a payment.
 */
export const LIST_SEARCH_ATTRIBUTES = {
  paymentIds: 'PaynocchioPaymentIds',
  walletIds: 'PaynocchioWalletIds',
} as const;

export interface TransferInput {
  envId: string;
  fromWalletId: string;
  toWalletId: string;
  amount: string;
  currency: Currency;
  reference: string | null;
}

/** A transfer as recorded: what was asked, its id and its fee. */
export interface Transfer extends TransferInput {
  id: string;
  /** The fee charged to the sender on top of the amount (minor units; "0" without a fee schedule). */
  fee: string;
}

export interface TransferResult {
  transfer: Transfer;
  /** The source wallet after the transfer. */
  wallet: Wallet;
  toWallet: Wallet;
}

export interface RefundInput {
  envId: string;
  orderId: string;
  /** Minor units; null refunds what is left of the order. */
  amount: string | null;
  /** Take the sellers' parts of the refund from revenue instead of from the sellers' wallets. */
  fromRevenue?: boolean;
}

export interface Refund {
  id: string;
  orderId: string;
  amount: string;
  currency: Currency;
  /** What was taken back from each seller (split payments; empty otherwise or with fromRevenue). */
  splits: PaymentSplit[];
  fromRevenue: boolean;
}

export interface RefundResult {
  refund: Refund;
  order: Order;
  wallet: Wallet;
}
