# Production-like image: Keyward against PostgreSQL (see docker-compose.yml).
# Links the system libpq (with TLS) instead of the bundled one used for `cargo run`.
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Everything the build reads: the SQLite build flags (.cargo), the build script, the migrations
# and templates compiled in, and the stylesheet and script included with include_str!.
# tests/image/test_image.py builds from exactly these paths.
COPY Cargo.toml Cargo.lock build.rs ./
COPY .cargo .cargo
COPY src src
COPY migrations migrations
COPY templates templates
COPY static static
RUN cargo build --release --locked --no-default-features --bin keyward

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /var/lib/keyward --create-home keyward
COPY --from=build /src/target/release/keyward /usr/local/bin/keyward
USER keyward
ENV KEYWARD_DATA_DIR=/var/lib/keyward \
    KEYWARD_LISTEN=0.0.0.0:8080 \
    KEYWARD_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["keyward"]
CMD ["serve"]
