# The registry as `npm start` runs it: the server bundled by esbuild (scripts/build-server.mjs),
# its dependencies from the lockfile, no dev dependencies, as the unprivileged `node` user.
# docker-compose.yml runs two of these behind HAProxy (docs/deployment.md).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages ./packages
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund --ignore-scripts \
 && node scripts/build-server.mjs \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    LISTEN_ADDRESS=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/var/lib/entropic
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/packages ./packages
RUN mkdir -p /var/lib/entropic && chown node:node /var/lib/entropic
USER node
EXPOSE 3000
# SIGTERM drains (SHUTDOWN_DRAIN_SECONDS), then requests in flight finish (SHUTDOWN_TIMEOUT_SECONDS)
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/-/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# operator commands: docker compose exec registry-1 node packages/server/dist/admin.mjs <command>
CMD ["node", "--enable-source-maps", "--max-semi-space-size=4", "packages/server/dist/main.mjs"]
