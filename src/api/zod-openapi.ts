/**
 * Adds `.openapi(...)` to zod schemas. Imported first by every module that defines
 * wire schemas (schemas.ts, openapi.ts), so the method exists when they are built.
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

extendZodWithOpenApi(z);
