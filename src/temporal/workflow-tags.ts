/**
 * What a workflow is about, written on it twice: as its memo (shown in the Web UI; the
 * request id in it reaches every activity through src/workflows/interceptors.ts) and as
 * typed search attributes (`PaynocchioEnvId = "123"` in the Web UI's query box). One
 * shape for every workflow: start-workflow.ts writes it on every start from a client,
 * scheduleRun on the movements it starts as children. Workflow-safe (only
 * @temporalio/common, no I/O), so workflows may import it.
 */
import { defineSearchAttributeKey, SearchAttributeType, TypedSearchAttributes } from '@temporalio/common';
import { LIST_SEARCH_ATTRIBUTES, SEARCH_ATTRIBUTES } from '../domain/types';

export const SEARCH_ATTRIBUTE_KEYS = {
  envId: defineSearchAttributeKey(SEARCH_ATTRIBUTES.envId, SearchAttributeType.KEYWORD),
  walletId: defineSearchAttributeKey(SEARCH_ATTRIBUTES.walletId, SearchAttributeType.KEYWORD),
  userId: defineSearchAttributeKey(SEARCH_ATTRIBUTES.userId, SearchAttributeType.KEYWORD),
  kind: defineSearchAttributeKey(SEARCH_ATTRIBUTES.kind, SearchAttributeType.KEYWORD),
  paymentIds: defineSearchAttributeKey(LIST_SEARCH_ATTRIBUTES.paymentIds, SearchAttributeType.KEYWORD_LIST),
  walletIds: defineSearchAttributeKey(LIST_SEARCH_ATTRIBUTES.walletIds, SearchAttributeType.KEYWORD_LIST),
};

/** The environment, wallet and user a workflow acts for (system workflows have none). */
export interface WorkflowSubject {
  envId?: string;
  walletId?: string;
  userId?: string;
  /** A workflow about many payments (a payment batch): their ids and their wallets' ids. */
  paymentIds?: string[];
  walletIds?: string[];
}

export interface WorkflowTags {
  memo: Record<string, string>;
  typedSearchAttributes?: TypedSearchAttributes;
}

/**
 * Memo and search attributes of a workflow. `kind` is the workflow type, except for a
 * schedule's run (and its Temporal Schedule), where it names what the schedule moves.
 * `memo` adds entries (request id, schedule id, delivery id); undefined ones are left out.
 * With `searchAttributes` false (TEMPORAL_SEARCH_ATTRIBUTES=false: a cluster where they
 * are not registered) only the memo is written.
 */
export function workflowTags(
  kind: string,
  subject: WorkflowSubject,
  opts: { searchAttributes: boolean; memo?: Record<string, string | undefined> },
): WorkflowTags {
  const memo: Record<string, string> = {};
  // Lists go into the memo as comma-separated text (what an operator reads and copies).
  const { paymentIds, walletIds, ...single } = subject;
  const lists = { paymentIds: paymentIds?.join(','), walletIds: walletIds?.join(',') };
  for (const [key, value] of Object.entries({ ...single, ...lists, kind, ...opts.memo })) if (value !== undefined) memo[key] = value;
  if (!opts.searchAttributes) return { memo };
  const pairs = [
    ...(subject.envId !== undefined ? [{ key: SEARCH_ATTRIBUTE_KEYS.envId, value: subject.envId }] : []),
    ...(subject.walletId !== undefined ? [{ key: SEARCH_ATTRIBUTE_KEYS.walletId, value: subject.walletId }] : []),
    ...(subject.userId !== undefined ? [{ key: SEARCH_ATTRIBUTE_KEYS.userId, value: subject.userId }] : []),
    { key: SEARCH_ATTRIBUTE_KEYS.kind, value: kind },
    ...(paymentIds !== undefined ? [{ key: SEARCH_ATTRIBUTE_KEYS.paymentIds, value: paymentIds }] : []),
    ...(walletIds !== undefined ? [{ key: SEARCH_ATTRIBUTE_KEYS.walletIds, value: walletIds }] : []),
  ];
  return { memo, typedSearchAttributes: new TypedSearchAttributes(pairs) };
}
