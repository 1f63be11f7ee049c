# syntax=docker/dockerfile:1
#
# storefront image: multi-stage, Debian bookworm, same Debian packages as
# scripts/bootstrap, runs as a non-root user.
#
#   docker build -t storefront:local .          (compose.yaml does this)

ARG DEBIAN_IMAGE=debian:bookworm-slim

# --------------------------------------------------------------------- build
FROM ${DEBIAN_IMAGE} AS build
ARG DEBIAN_FRONTEND=noninteractive
# The -dev packages of scripts/bootstrap (APT_PACKAGES) + nodejs/npm for
# swagger-ui-dist. Test-only packages (gtest, benchmark) are not needed here.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev \
      libmongoc-dev libbson-dev libspdlog-dev libfmt-dev zlib1g-dev \
      prometheus-cpp-dev \
      nodejs npm ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .

RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DSTOREFRONT_BUILD_TESTS=OFF -DSTOREFRONT_BUILD_BENCH=OFF \
 && cmake --build build \
 && install -D -m 0755 build/storefront /out/usr/local/bin/storefront

# Swagger UI assets: the version and the file list are the ones pinned in
# scripts/bootstrap (single source of truth), copied flat like bootstrap does.
RUN set -eu; \
    version="$(sed -n 's/^SWAGGER_UI_VERSION=//p' scripts/bootstrap)"; \
    files="$(sed -n 's/^SWAGGER_FILES=(\(.*\))$/\1/p' scripts/bootstrap)"; \
    test -n "$version" && test -n "$files"; \
    npm install --prefix /tmp/swagger --no-audit --no-fund --no-package-lock \
        --loglevel=error "swagger-ui-dist@${version}"; \
    mkdir -p /out/usr/share/storefront/swagger-ui; \
    for f in $files; do \
      cp "/tmp/swagger/node_modules/swagger-ui-dist/$f" /out/usr/share/storefront/swagger-ui/; \
    done; \
    printf '%s\n' "$version" > /out/usr/share/storefront/swagger-ui/.version

# Runtime packages: exactly the Debian packages that own the shared libraries
# the binary links against (so this list can never drift from the build).
RUN set -eu; \
    ldd /out/usr/local/bin/storefront | awk '/=> \// { print $3 }' | sort -u > /tmp/libs; \
    : > /tmp/pkgs; \
    while read -r lib; do \
      pkg="$(dpkg -S "$lib" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null \
             || dpkg -S "$(readlink -f "$lib")" 2>/dev/null || true)"; \
      pkg="$(printf '%s\n' "$pkg" | head -n1 | cut -d: -f1)"; \
      test -n "$pkg" || { echo "no Debian package owns $lib" >&2; exit 1; }; \
      echo "$pkg" >> /tmp/pkgs; \
    done < /tmp/libs; \
    sort -u /tmp/pkgs | grep -v -- '-dev$' > /out/runtime-packages.txt; \
    cat /out/runtime-packages.txt

# ------------------------------------------------------------------- runtime
FROM ${DEBIAN_IMAGE} AS runtime
ARG DEBIAN_FRONTEND=noninteractive
COPY --from=build /out/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && xargs -a /tmp/runtime-packages.txt apt-get install -y --no-install-recommends \
      curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && groupadd --system --gid 10001 storefront \
 && useradd --system --uid 10001 --gid storefront --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin storefront

COPY --from=build /out/usr/ /usr/

ENV PORT=8080 \
    MONGODB_DATABASE_NAME=somedb \
    STOREFRONT_SWAGGER_DIR=/usr/share/storefront/swagger-ui \
    LOG_LEVEL=info

USER storefront:storefront
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS -o /dev/null "http://127.0.0.1:${PORT}/health/ready" || exit 1
ENTRYPOINT ["/usr/local/bin/storefront"]
