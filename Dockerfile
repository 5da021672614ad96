# The pixcdn image the manifests under deploy/ run: one binary (edge, origin,
# migrations) on Debian 12 with libvips, as the project builds and tests it.
#   docker build -t pixcdn:dev .
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
USER 10001
ENTRYPOINT ["pixcdn"]
