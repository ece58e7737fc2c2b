# The controller image used by deploy/deployment.yaml and charts/everynode. Build:
#   docker build -t ghcr.io/everynode/everynode:0.1.0 .
# Node 22 LTS on both stages; the bundled Node of the optional dependencies (node-linux-*) is
# left out, the base image has its own.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=optional
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --omit=optional

# Distroless: no shell, no package manager; runs as the non-root user 65532. Nothing is written
# to the image's filesystem at run time (logs go to stdout), so it runs with
# readOnlyRootFilesystem: true.
FROM gcr.io/distroless/nodejs22-debian12:nonroot
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY package.json ./
USER 65532:65532
ENTRYPOINT ["/nodejs/bin/node", "/app/bin/everynode.js"]
