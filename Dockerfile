# One image for every role: `start` (all in one), `node`, `router`, `loadtest`, `token`.
#   docker build -t visitwire .                        (BuildKit: the RUN --mount lines need it)
#   docker run --rm -p 8080:8080 -p 40000:40000/udp -p 40000:40000/tcp \
#     -e VISITWIRE_SECRET=... -e VISITWIRE_ANNOUNCED_ADDRESS=<public IP> -e VISITWIRE_WORKERS=1 visitwire start
# Metrics listen on 0.0.0.0:9464 inside the image (VISITWIRE_METRICS_ADDR); publish that port only to
# the network Prometheus scrapes from. Without a Docker engine: `npm run image:check` builds and starts
# it with buildah (README, "The image").
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json .npmrc ./
# Behind a TLS-intercepting proxy, pass its CA as a build secret (never a layer):
#   --secret id=npm-ca,src=/path/to/proxy-ca.pem
RUN --mount=type=secret,id=npm-ca \
    if [ -s /run/secrets/npm-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm-ca npm_config_cafile=/run/secrets/npm-ca; fi; \
    npm ci --omit=dev && npm cache clean --force
# The mediasoup worker, before the sources so that editing them keeps this layer: mediasoup's prebuilt
# download, else the offline build (scripts/prepare.mjs installs the Debian packages it needs, as root
# here). The cache mount keeps the built worker across image builds, so only the first build compiles
# it; the worker is copied into node_modules, which is in the image.
COPY scripts/prepare.mjs scripts/build-worker.sh scripts/
# Where pip finds meson >= 1.1 and ninja when PyPI is out of reach (a local index, mounted at build time).
ARG PIP_INDEX_URL
RUN --mount=type=cache,target=/var/cache/visitwire \
    [ -n "$PIP_INDEX_URL" ] || unset PIP_INDEX_URL; \
    VISITWIRE_CACHE_DIR=/var/cache/visitwire node scripts/prepare.mjs --worker-only && rm -rf /var/lib/apt/lists/*
COPY . .
# The SDK bundle (the worker is in place already).
RUN node scripts/prepare.mjs
# No demo (it mints tokens for anyone) unless VISITWIRE_DEMO=1 is passed.
ENV HOST=0.0.0.0 VISITWIRE_RTC_LISTEN_IP=0.0.0.0 VISITWIRE_DEMO=0 VISITWIRE_METRICS_ADDR=0.0.0.0:9464
EXPOSE 8080 9464 40000-40007/udp 40000-40007/tcp
ENTRYPOINT ["node", "bin/visitwire.mjs"]
CMD ["start"]
