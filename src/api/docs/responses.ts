/**
 * Response entries that several features answer alike (a cursor page, a whole collection,
 * a record with its timeline, the idempotency 409), written once so each docs file states
 * only what is its own: the key, the item schema, the description and the example.
 */
import { z } from 'zod';
import type { ResponseSpec } from './registry';

/** The 409 of every POST that takes an Idempotency-Key. */
export const idempotencyConflict: ResponseSpec = { description: 'The Idempotency-Key was used with another request' };

/** A cursor-paged list, `{ <key>: [...], next_cursor }` (the example is the last page). */
export function page(key: string, item: z.ZodType, exampleItems: unknown[]): ResponseSpec {
  return {
    description: 'One page; pass next_cursor as cursor for the next',
    schema: z.object({ [key]: z.array(item), next_cursor: z.string().nullable() }),
    example: { [key]: exampleItems, next_cursor: null },
  };
}

/** A whole collection in one answer, `{ <key>: [...] }` (no paging: it is small by design). */
export function collection(description: string, key: string, item: z.ZodType, exampleItems: unknown[]): ResponseSpec {
  return { description, schema: z.object({ [key]: z.array(item) }), example: { [key]: exampleItems } };
}

/** A record with every step recorded for it, oldest first, in `timeline`. */
export function withTimeline(description: string, record: z.ZodObject, step: z.ZodType, example: unknown): ResponseSpec {
  return { description, schema: record.extend({ timeline: z.array(step) }), example };
}
