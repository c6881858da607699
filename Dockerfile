# One image for every touchstream service; docker-compose picks the service with SERVICE.
# Multi-stage: dependencies and the TypeScript build happen in throw-away stages, the runtime
# stage has production dependencies and compiled JavaScript only. Node 24 LTS: the runtime the
# project is developed and tested on (.ci/run).
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY libs libs
COPY services services
COPY tools tools
RUN find libs services tools -type f ! -name package.json -delete && npm ci --no-audit --no-fund

FROM deps AS build
COPY tsconfig.base.json tsconfig.build.json ./
COPY libs libs
COPY services services
COPY tools tools
RUN npx tsc -b tsconfig.build.json && npm prune --omit=dev --no-audit --no-fund

# The runtime stage takes libs/ and services/ only: tools/ (test harness, local infrastructure,
# benchmarks) is never shipped, and no service's src/ may import it (eslint.config.mjs).
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/libs libs
COPY --from=build /app/services services
USER node
ARG SERVICE=ingest
ENV SERVICE=${SERVICE}
# The service's declared Node flags (package.json "touchstream.nodeFlags"), as npm start and the
# benchmarks run it.
CMD ["sh", "-c", "exec node $(node -p \"(require('./services/' + process.env.SERVICE + '/package.json').touchstream?.nodeFlags ?? []).join(' ')\") services/${SERVICE}/dist/main.js"]
