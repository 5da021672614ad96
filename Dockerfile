# The pixcdn image the manifests under deploy/ run: one binary (edge, origin,
# migrations) on Debian 12 with libvips, as the project builds and tests it.
#   docker build -t pixcdn:dev .
# The web console's tus-js-client, pinned by its package-lock.json.
FROM node:20-bookworm-slim AS console
WORKDIR /src
COPY origin/console/npm/package.json origin/console/npm/package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM golang:1.26-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libvips-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -o /out/pixcdn ./cmd/pixcdn

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libvips42 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin pixcdn
COPY --from=build /out/pixcdn /usr/local/bin/pixcdn
# Found by the origin next to its binary (../share/pixcdn/console).
COPY --from=console /src/node_modules/tus-js-client/dist /usr/local/share/pixcdn/console/node_modules/tus-js-client/dist
USER 10001
ENTRYPOINT ["pixcdn"]
