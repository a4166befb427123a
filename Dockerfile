# roomcast: multi-stage production image. Runs only commands that CI also runs (npm ci, npm run build, node dist/main.js).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The demo page (served at / when DEMO=1) is bundled from demo/ with the client library.
COPY client ./client
COPY demo ./demo
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=8080 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
STOPSIGNAL SIGTERM
# Memory (embedded database, measured by `npm run bench -- --scenarios=footprint`): about 200 MB
# idle, plus about 25 KiB per idle connection; run it with --memory=512m for 10,000 connections.
# README "Operating on a small machine" lists the settings that trade speed for memory.
CMD ["node", "dist/main.js"]
