/**
 * JSON in and out without floats. Requests are parsed with lossless-json, so every
 * number keeps its exact text ("12.10" stays "12.10"); responses are written with it,
 * so money goes out as a JSON number with exactly the currency's decimals (1012.12).
 */
import type { Response } from 'express';
import { isLosslessNumber, parse, stringify } from 'lossless-json';
import { DomainError } from '../domain/errors';

/**
 * The seed's clients send `json=json.dumps({...})`: the body is a JSON *string* whose
 * content is the JSON object. Both that and a plain object are accepted; anything
 * else that is not an object is refused.
 */
export function parseJsonBody(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value = parseOrThrow(text);
  if (typeof value === 'string') value = parseOrThrow(value);
  if (value === null || typeof value !== 'object' || Array.isArray(value) || isLosslessNumber(value)) {
    throw new DomainError('invalid_json', 'request body must be a JSON object (or a JSON string holding one)');
  }
  return value as Record<string, unknown>;
}

function parseOrThrow(text: string): unknown {
  try {
    return parse(text);
  } catch (err) {
    throw new DomainError('invalid_json', `request body is not valid JSON: ${(err as Error).message}`);
  }
}


export function sendJson(res: Response, status: number, body: unknown): void {
  sendJsonText(res, status, stringify(body)!);
}

/** Sends JSON already serialized (an idempotent replay sends the stored text). */
export function sendJsonText(res: Response, status: number, text: string): void {
  res.status(status).type('application/json').send(text);
}

/** A field's text as the client wrote it: a JSON number's digits, or a string as is. */
export function fieldText(value: unknown): unknown {
  return isLosslessNumber(value) ? value.toString() : value;
}
