# One image for every role: `start` (all in one), `node`, `router`, `loadtest`, `token`.
#   docker build -t visitwire .
#   docker run --rm -p 8080:8080 -p 40000:40000/udp -p 40000:40000/tcp \
#     -e VISITWIRE_SECRET=... -e VISITWIRE_ANNOUNCED_ADDRESS=<public IP> -e VISITWIRE_WORKERS=1 visitwire start
# (Not built on the development machines: they run no Docker engine.)
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production VISITWIRE_CACHE_DIR=/var/cache/visitwire
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev
COPY . .
# The mediasoup worker: mediasoup's prebuilt download, else the offline build
# (scripts/prepare.mjs installs the Debian packages it needs, as root here).
RUN node scripts/prepare.mjs && rm -rf /var/cache/visitwire/build /var/lib/apt/lists/*
# No demo (it mints tokens for anyone) unless VISITWIRE_DEMO=1 is passed.
ENV HOST=0.0.0.0 VISITWIRE_RTC_LISTEN_IP=0.0.0.0 VISITWIRE_DEMO=0
EXPOSE 8080 40000-40007/udp 40000-40007/tcp
ENTRYPOINT ["node", "bin/visitwire.mjs"]
CMD ["start"]
