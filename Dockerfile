# syntax=docker/dockerfile:1
# llcp-hub: a release build in a Rust image, run from Debian slim as a non-root user.
#   docker build -t llcp-hub .        (docker-compose.yml does this for you)

FROM rust:1.95-slim-bookworm AS builder
# diesel's PostgreSQL backend links libpq; SQLite is compiled in (libsqlite3-sys "bundled").
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Cache mounts keep the crate registry and compiled dependencies between builds; the
# binary is copied out because the target folder is not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin llcp-hub \
 && cp target/release/llcp-hub /usr/local/bin/llcp-hub

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# A fixed uid, so that volume permissions are predictable; no login shell, no sudo.
RUN groupadd --system --gid 10001 llcp \
 && useradd --system --uid 10001 --gid llcp --home-dir /var/lib/llcp-hub --create-home \
      --shell /usr/sbin/nologin llcp
COPY --from=builder /usr/local/bin/llcp-hub /usr/local/bin/llcp-hub
USER 10001:10001
WORKDIR /var/lib/llcp-hub
# Inside a container the service must listen on every interface; the SQLite default
# lives in the user's home (mount a volume there to keep it). Compose sets PostgreSQL.
ENV BIND=0.0.0.0:8080 \
    DATABASE_URL=sqlite:///var/lib/llcp-hub/llcp-hub.db \
    RUST_LOG=info
EXPOSE 8080
# The slim image has no curl or wget, and installing one only for this would add a
# package and its attack surface. bash (essential in Debian, so always present) opens
# the TCP connection itself through /dev/tcp, sends a plain HTTP/1.0 request and
# accepts only a 200 status line; Docker's --timeout ends a probe that hangs. The port
# comes from BIND, so changing BIND does not break the probe.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${BIND##*:} && printf 'GET /readyz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && IFS= read -r status <&3 && [[ $status == 'HTTP/1.'?' 200 '* ]]"]
# Exec form: the service is PID 1 and receives SIGTERM itself, so it drains in-flight
# requests before it exits (docker-compose.yml allows it 35 s).
ENTRYPOINT ["llcp-hub"]
CMD ["serve"]
