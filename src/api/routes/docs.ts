/**
 * API documents: /openapi.json (generated from the zod schemas, src/api/openapi.ts)
 * and /docs, a Swagger UI page whose scripts and styles come from the swagger-ui-dist
 * npm package, served here: it works with no internet access.
 */
import express, { Router } from 'express';
import { absolutePath } from 'swagger-ui-dist';
import { openApiDocument } from '../openapi';

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Paynocchio API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script>window.ui = SwaggerUIBundle({
  url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout',
  validatorUrl: null
});</script>
</body>
</html>`;

export function docsRoutes(): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(PAGE);
  });
  // Not a documented route: static files only (swagger-ui-dist's own index.html is not served).
  router.use('/docs/assets', express.static(absolutePath(), { index: false, maxAge: '1h' }));
  return router;
}
