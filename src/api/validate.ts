/**
 * One validation middleware for every route: zod schemas for body, query and params,
 * a 422 listing every issue on failure, and the parsed values handed to the handler.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { DomainError } from '../domain/errors';

type Schemas = { body?: z.ZodType; query?: z.ZodType; params?: z.ZodType };
type Parsed<S extends Schemas> = {
  body: S['body'] extends z.ZodType ? z.output<S['body']> : undefined;
  query: S['query'] extends z.ZodType ? z.output<S['query']> : undefined;
  params: S['params'] extends z.ZodType ? z.output<S['params']> : undefined;
};

export function validate<S extends Schemas>(schemas: S): RequestHandler {
  return (req, res, next) => {
    const issues: { location: string; path: string; message: string }[] = [];
    const parsed: Record<string, unknown> = {};
    for (const location of ['params', 'query', 'body'] as const) {
      const schema = schemas[location];
      if (!schema) continue;
      const result = schema.safeParse(req[location] ?? {});
      if (result.success) parsed[location] = result.data;
      else for (const i of result.error.issues) issues.push({ location, path: i.path.join('.'), message: i.message });
    }
    if (issues.length) {
      const first = issues[0]!;
      return next(
        new DomainError('invalid_request', `${first.path || first.location}: ${first.message}`, { issues }),
      );
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
