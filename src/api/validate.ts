/**
 * One validation middleware for every route: zod schemas for body, query and params,
 * a 422 listing every issue on failure, and the parsed values handed to the handler.
 *
 * Two input rules are enforced here, once, so a new route cannot forget them:
 * - no text anywhere in the input (values and keys of params, query and body, at any
 *   depth) may hold a control character (U+0000–U+001F, U+007F) or a lone surrogate:
 *   Postgres refuses NUL (SQLSTATE 22021) and turns a lone surrogate into U+FFFD, so
 *   such text must be refused before any workflow starts;
 * - unknown parameters are refused (as Stripe does: "received unknown parameter"),
 *   in the body and the query string. A route that must tolerate extra query
 *   parameters (a browser link) declares its query schema with `z.looseObject`.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { isLosslessNumber } from 'lossless-json';
import { z } from 'zod';
import { DomainError } from '../domain/errors';

export type Schemas = { body?: z.ZodType; query?: z.ZodType; params?: z.ZodType };
export type Parsed<S extends Schemas> = {
  body: S['body'] extends z.ZodType ? z.output<S['body']> : undefined;
  query: S['query'] extends z.ZodType ? z.output<S['query']> : undefined;
  params: S['params'] extends z.ZodType ? z.output<S['params']> : undefined;
};
type Issue = { location: string; path: string; message: string };

/** C0 controls and DEL. */
const CONTROL = /[\u0000-\u001f\u007f]/;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
export const HOSTILE_TEXT_MESSAGE = 'must not contain control characters (U+0000–U+001F, U+007F) or lone surrogates';
export const UNKNOWN_PARAMETER_MESSAGE = 'received unknown parameter';
/** Enough to name the fields; an array of 10,000 bad strings does not make a 10,000-line answer. */
const MAX_ISSUES = 20;

export function isHostileText(text: string): boolean {
  return CONTROL.test(text) || LONE_SURROGATE.test(text);
}

/** A key as it appears in an issue's path: as is when printable, else JSON-escaped. */
function keyText(key: string): string {
  return isHostileText(key) ? JSON.stringify(key) : key;
}

/** Every string (value or key) holding hostile text, with its path. */
export function hostileTextIssues(location: string, value: unknown, path: string[] = [], out: Issue[] = []): Issue[] {
  if (out.length >= MAX_ISSUES) return out;
  if (typeof value === 'string') {
    if (isHostileText(value)) out.push({ location, path: path.join('.'), message: HOSTILE_TEXT_MESSAGE });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => hostileTextIssues(location, v, [...path, String(i)], out));
  } else if (value !== null && typeof value === 'object' && !isLosslessNumber(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (out.length >= MAX_ISSUES) break;
      if (isHostileText(k)) out.push({ location, path: [...path, keyText(k)].join('.'), message: HOSTILE_TEXT_MESSAGE });
      else hostileTextIssues(location, v, [...path, k], out);
    }
  }
  return out;
}

/**
 * lossless-json reads a JSON number as a LosslessNumber, itself an object ({value,
 * isLosslessNumber}): where a schema wants an object (a split, a fee rule, a batch item), zod
 * would check the number's insides and answer with the object's missing fields and unknown
 * parameters "value" and "isLosslessNumber". The shortest path of `path` that holds a JSON
 * number in `input`, if any: the issue is then about that number.
 */
function numberOnPath(input: unknown, path: PropertyKey[]): PropertyKey[] | null {
  let value = input;
  for (let i = 0; i < path.length; i++) {
    if (isLosslessNumber(value)) return path.slice(0, i);
    if (value === null || typeof value !== 'object') return null;
    value = (value as Record<PropertyKey, unknown>)[path[i]!];
  }
  return null;
}

/** An object schema that has not chosen how to treat unknown keys refuses them. */
function strict(schema: z.ZodType): z.ZodType {
  return schema instanceof z.ZodObject && schema.def.catchall === undefined ? schema.strict() : schema;
}

/** A route without a query schema takes no query parameters. */
const NO_QUERY = z.strictObject({});

export function validate<S extends Schemas>(schemas: S): RequestHandler {
  const checks = {
    // Path parameters are the route's own: nothing unknown can arrive there.
    params: schemas.params,
    query: schemas.query ? strict(schemas.query) : NO_QUERY,
    body: schemas.body && strict(schemas.body),
  };
  return (req, res, next) => {
    // Hostile text first: such a request is refused naming the fields, whatever else is wrong.
    let issues: Issue[] = [];
    for (const location of ['params', 'query', 'body'] as const) hostileTextIssues(location, req[location], [], issues);
    const parsed: Record<string, unknown> = {};
    if (!issues.length) {
      const unknown: Issue[] = [];
      for (const location of ['params', 'query', 'body'] as const) {
        const schema = checks[location];
        if (!schema) continue;
        const result = schema.safeParse(req[location] ?? {});
        if (result.success) parsed[location] = result.data;
        else {
          const numbers = new Set<string>();
          for (const i of result.error.issues) {
            // An unrecognized_keys issue's path is the object itself: look one step further.
            const number = numberOnPath(req[location], i.code === 'unrecognized_keys' ? [...i.path, i.keys[0]!] : i.path);
            if (number) {
              const at = number.map(String).join('.');
              if (!numbers.has(at)) issues.push({ location, path: at, message: 'must be an object, not a number' });
              numbers.add(at);
            } else if (i.code === 'unrecognized_keys') {
              for (const key of i.keys) unknown.push({ location, path: [...i.path.map(String), key].join('.'), message: UNKNOWN_PARAMETER_MESSAGE });
            } else issues.push({ location, path: i.path.join('.'), message: i.message });
          }
        }
      }
      // A wrong field is named first (the message shows the first issue), then the unknown ones.
      issues = [...issues, ...unknown];
    }
    if (issues.length) {
      const first = issues[0]!;
      const message =
        first.message === UNKNOWN_PARAMETER_MESSAGE
          ? `${UNKNOWN_PARAMETER_MESSAGE}: ${first.path}`
          : `${first.path || first.location}: ${first.message}`;
      return next(new DomainError('invalid_request', message, { issues }));
    }
    res.locals.valid = parsed;
    next();
  };
}

/** validate(schemas) followed by an async handler that receives the parsed input. */
export function endpoint<S extends Schemas>(
  schemas: S,
  handler: (input: Parsed<S>, req: Request, res: Response) => Promise<void>,
): RequestHandler[] {
  return [
    validate(schemas),
    (req: Request, res: Response, next: NextFunction) => {
      handler(res.locals.valid as Parsed<S>, req, res).catch(next);
    },
  ];
}
