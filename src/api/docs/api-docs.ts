/** OpenAPI entries of routes/docs.ts (registered by src/api/openapi.ts). */
import { z } from 'zod';
import { registerRoute } from './registry';

export function documentApiDocs(): void {
  registerRoute({
    method: 'get', path: '/openapi.json', tags: ['operations'], auth: 'none', summary: 'This document (OpenAPI 3.1)',
    responses: { 200: { description: 'The OpenAPI document', schema: z.record(z.string(), z.unknown()) } },
  });
  registerRoute({
    method: 'get', path: '/docs', tags: ['operations'], auth: 'none', summary: 'A readable API reference (Swagger UI, offline)',
    responses: { 200: { description: 'HTML page', contentType: 'text/html' } },
  });

}
