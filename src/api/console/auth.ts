/**
 * The operator token guarding /console. Accepted as `Authorization: Bearer <token>`
 * or the HttpOnly cookie that `/console?token=<token>` sets once (then the URL is
 * cleaned by a redirect). Compared as SHA-256 digests in constant time. With no
 * OPERATOR_TOKEN configured the console does not exist (404).
 */
import type { RequestHandler } from 'express';
import { bearerOf, tokenMatcher } from '../../bearer-token';

export const COOKIE = 'paynocchio_operator';

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

const LOGIN = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Paynocchio console: sign in</title></head>
<body style="font-family:system-ui;margin:3rem"><h1>Paynocchio operator console</h1>
<form method="get" action="/console"><label>Operator token <input type="password" name="token" autocomplete="off" autofocus></label>
<button type="submit">Open</button></form></body></html>`;

export function operatorAuth(token: string | undefined): RequestHandler {
  const matches = token ? tokenMatcher(token) : null;
  return (req, res, next) => {
    if (!matches) {
      res.status(404).type('text').send('the operator console is disabled: set OPERATOR_TOKEN');
      return;
    }
    const query = typeof req.query.token === 'string' ? req.query.token : undefined;
    const given = query ?? bearerOf(req.get('Authorization')) ?? cookieValue(req.get('Cookie'), COOKIE);
    if (!given || !matches(given)) {
      res.status(401).type('html').send(LOGIN);
      return;
    }
    if (query) {
      const secure = req.secure ? '; Secure' : '';
      res.setHeader('Set-Cookie', `${COOKIE}=${encodeURIComponent(query)}; HttpOnly; SameSite=Strict; Path=/console; Max-Age=43200${secure}`);
      const params = new URLSearchParams(req.query as Record<string, string>);
      params.delete('token');
      const rest = params.toString();
      res.redirect(303, req.baseUrl + req.path.replace(/\/$/, '') + (rest ? `?${rest}` : ''));
      return;
    }
    // Pages show balances: never cache them, never frame them.
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Frame-Options', 'DENY');
    next();
  };
}
