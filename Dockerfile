# One stateless replica of @mlkit/server: examples/replica/main.ts on the built packages.
#   docker build -t mlkit-replica .
#   docker run --rm -p 8080:8080 mlkit-replica                       (the repository's fixture models)
#   docker run --rm -p 8080:8080 -v "$PWD/models:/models:ro" -e MLKIT_CONFIG=/models/mlkit.json mlkit-replica
# MLKIT_CONFIG: { "<served name>": <a createModelFromConfig() configuration> }, e.g.
#   { "iris": { "task": "classification", "model": "onnx:/models/iris" } }
# deploy/kubernetes and deploy/kserve run this image; README "Scale out" explains the drain numbers.

# ---- build: every dependency, the packages' dist/, the fixture models -----------------------------
FROM node:24-slim AS build
WORKDIR /app
# onnxruntime-node's install script only fetches optional GPU builds; its CPU binaries are in the package.
ENV ONNXRUNTIME_NODE_INSTALL=skip npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
COPY packages/onnx/package.json packages/onnx/
COPY packages/server/package.json packages/server/
RUN npm ci
COPY . .
RUN npm run build && node scripts/fixtures.ts
# The runtime needs the production dependencies plus onnxruntime-node (a peer of @mlkit/onnx, which
# this repository lists as a devDependency): keep it aside while the dev tools are pruned.
RUN mv node_modules/onnxruntime-node node_modules/onnxruntime-common /tmp/ \
 && npm prune --omit=dev \
 && mv /tmp/onnxruntime-node /tmp/onnxruntime-common node_modules/

# ---- runtime: Node 24 slim, non-root ---------------------------------------------------------------
FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/packages/onnx/package.json ./packages/onnx/
COPY --from=build /app/packages/onnx/dist ./packages/onnx/dist
COPY --from=build /app/packages/server/package.json ./packages/server/
COPY --from=build /app/packages/server/dist ./packages/server/dist
COPY --from=build /app/examples/replica ./examples/replica
COPY --from=build /app/test/fixtures/models ./test/fixtures/models
# The image's own user `node` (uid 1000); the files above stay root-owned and read-only to it.
USER node
EXPOSE 8080
# SIGTERM drains: readiness 503 for drainDelayMs (only once something probed readiness), then the
# listener stops, in-flight requests finish within graceMs, the models are disposed, exit 0.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/v2/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "examples/replica/main.ts"]
