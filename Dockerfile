# tgnats container image for users: `docker build -t tgnats .`
# Build stage: a static binary (no cgo), reproducible paths.
FROM golang:1.26-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/connector ./cmd/connector \
 && mkdir -p /out/rootfs/data && chmod 0700 /out/rootfs/data

# Runtime stage: the binary, CA certificates for TLS to Telegram and NATS,
# and an empty data dir; no shell, non-root (distroless "nonroot", 65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/connector /usr/local/bin/connector
# Copying rootfs/ (not data/, whose contents COPY would copy into a new
# 0755 directory) keeps /data at mode 0700, owned by the runtime user.
COPY --from=build --chown=65532:65532 /out/rootfs/ /
USER 65532:65532
# State (Pebble outbox, session), the embedded NATS store and the
# simulator's world live here; it must stay 0700 (the connector refuses a
# data dir others can read).
VOLUME ["/data"]
ENV TGNATS_DATA_DIR=/data \
    TGNATS_HTTP_LISTEN=0.0.0.0:9464 \
    TGNATS_NATS_LISTEN=0.0.0.0:4222
# 9464: /metrics, /healthz, /readyz. 4222: the embedded NATS server (only
# when no nats.url is configured, e.g. `connector simulate`).
EXPOSE 9464 4222
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/connector", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/connector"]
CMD ["run", "--config", "/etc/tgnats/config.yaml"]
