/** OpenAPI entries of console/routes.ts (registered by src/api/openapi.ts). */
import { registerRoute } from './registry';
import { Query } from '../console/routes';

export function documentConsole(): void {
  registerRoute({
    method: 'get', path: '/console', tags: ['operations'], auth: 'operator',
    summary: 'Operator console (HTML, read-only)',
    description: 'Open `/console?token=<OPERATOR_TOKEN>` once in a browser (sets an HttpOnly cookie), or send `Authorization: Bearer <OPERATOR_TOKEN>`.',
    request: { query: Query },
    responses: { 200: { description: 'HTML page', contentType: 'text/html' }, 401: { description: 'Sign-in page', contentType: 'text/html' } },
  });

}
