# One image for every touchstream service; SERVICE picks which one runs (docker-compose.yml).
# The build stage installs everything and compiles; the runtime stage gets the production
# install of scripts/production-install.mjs (built output of the deployable workspaces and the
# ones they need, production dependencies only: no test or tooling workspace, no devDependency).
# Node 24 LTS: the runtime the project is developed and tested on. At run time the application
# folder belongs to root and is read-only for the `node` user the services run as; the only
# writable place is DATA_DIR=/data (the sink's dry-run file).
# The package manifests alone (wherever the workspaces are): the install below is then reused
# from the build cache as long as no package.json and the lockfile change.
FROM node:24-bookworm-slim AS manifests
COPY . /src
RUN find /src -type f ! -name package.json ! -name package-lock.json -delete

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY --from=manifests /src .
# npm-ca: an optional build secret, the CA bundle of a TLS-inspecting egress proxy between the
# build and the npm registry (scripts/containers passes the host's); never stored in a layer.
RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=npm-ca \
    if [ -s /run/secrets/npm-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm-ca; fi \
 && npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=npm-ca \
    if [ -s /run/secrets/npm-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm-ca; fi \
 && npx tsc -b tsconfig.build.json \
 && node scripts/production-install.mjs /src /app \
 && chmod -R a-w /app

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 DATA_DIR=/data
COPY --from=build /app /app
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
WORKDIR /app
USER node
ARG SERVICE=ingest
ENV SERVICE=${SERVICE}
# /ready of the service this container runs, on its port setting (the services' defaults).
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=30 CMD ["node", "-e", "const s=process.env.SERVICE,v={ingest:['INGEST_PORT',3000],identity:['IDENTITY_PORT',3001],attribution:['ATTRIBUTION_PORT',3002],'segment-sink':['SINK_PORT',3003]}[s];fetch('http://127.0.0.1:'+(process.env[v[0]]||v[1])+'/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The service's declared Node flags (package.json "touchstream.nodeFlags"), as npm start and the
# benchmarks run it.
CMD ["sh", "-c", "exec node $(node -p \"(require('./services/' + process.env.SERVICE + '/package.json').touchstream?.nodeFlags ?? []).join(' ')\") services/${SERVICE}/dist/main.js"]
