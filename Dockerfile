# syntax=docker/dockerfile:1
# Multi-stage: `deps` installs production dependencies with the exact lockfile and compiles
# src/ to dist/ (scripts/build.ts: esbuild, which tsx brings); `runtime` holds node_modules,
# the sources (the worker bundles its workflows from them at start) and dist/, runs the
# compiled JavaScript with plain node (less memory than tsx; BENCHMARKS.md) as the
# unprivileged `node` user, and checks its own health.
# One image, two roles: the API (default) and the worker (`command: npm run worker`).

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Dev dependencies (jest, puppeteer-core…) stay out of the image; install scripts follow package.json allowScripts.
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY scripts/build.ts ./scripts/build.ts
RUN node --import tsx scripts/build.ts

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    WORKER_METRICS_HOST=0.0.0.0 \
    WORKER_METRICS_PORT=9464
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --chown=node:node package.json package-lock.json tsconfig.json ./
COPY --chown=node:node src ./src
COPY --from=deps --chown=node:node /app/dist ./dist
USER node
EXPOSE 3000 9464
# The API answers /healthz on PORT; the worker on WORKER_METRICS_PORT (compose overrides the check for it).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Exec form: node is PID 1's only child of tini-less images, so SIGTERM reaches it directly.
# The default layout: API + worker in one process (dist/src/main.js); dist/src/api/main.js and
# dist/src/worker/main.js run them apart (docker-compose.yml's two-process profile).
# The flags after node: the app's V8 flags (src/node-flags.ts NODE_FLAGS; compose's commands
# carry the same; test/ops/docker.test.ts checks they agree). On the command line, not in
# NODE_OPTIONS, which refuses --heap-growing-percent.
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=50", "dist/src/main.js"]
