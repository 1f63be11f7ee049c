#!/usr/bin/env bash
# Builds Prometheus and promtool v2.42.0 (Apache-2.0) from the Go module proxy,
# for the local stack and tests/deploy. Called by scripts/bootstrap:
#
#   tools/prometheus/build.sh GO CACHE      -> CACHE/bin/prometheus, CACHE/bin/promtool
#
# Why not Debian's package: Debian builds Prometheus without Consul service
# discovery (`consul_sd_configs` is an unknown field there), and the stack
# discovers its storefront instances in Consul as production does. 2.42.0 is
# the release Debian bookworm ships, so rules and PromQL behave the same.
#
# Why a copy of the module: `go install ...@v0.42.0` refuses a module whose
# go.mod has replace directives (Prometheus replaces k8s.io/klog). Built from a
# copy in CACHE/src, the module is the main one and its go.mod and go.sum apply
# unchanged. The copy is never committed. The React web UI is not part of the
# Go module (it is built with npm in Prometheus' release process): this build
# serves the HTTP API (/api/v1/...) and the console templates only.
set -euo pipefail

GO=$1 CACHE=$2
VERSION=2.42.0
MODULE=github.com/prometheus/prometheus@v0.42.0

dir="$(cd "$CACHE" && GOFLAGS=-mod=mod GO111MODULE=on "$GO" mod download -json "$MODULE" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
[[ -n "$dir" && -f "$dir/go.mod" ]] || { echo "prometheus: could not download $MODULE" >&2; exit 1; }
grep -q '^ *Apache License$' "$dir/LICENSE" || { echo "prometheus: $dir/LICENSE is not Apache-2.0" >&2; exit 1; }

src="$CACHE/src/prometheus-$VERSION"
rm -rf "$src"
mkdir -p "$CACHE/src"
cp -R "$dir" "$src"
chmod -R u+w "$src"

ldflags="-s -w -X github.com/prometheus/common/version.Version=$VERSION"
ldflags+=" -X github.com/prometheus/common/version.Branch=module-proxy"
ldflags+=" -X github.com/prometheus/common/version.BuildUser=storefront-bootstrap"
for cmd in prometheus promtool; do
  (cd "$src" && CGO_ENABLED=0 GOFLAGS=-mod=readonly "$GO" build -trimpath -tags netgo \
    -ldflags "$ldflags" -o "$CACHE/bin/$cmd.tmp" "./cmd/$cmd")
done
for cmd in prometheus promtool; do
  out="$("$CACHE/bin/$cmd.tmp" --version 2>&1)"
  [[ "$out" == *"version $VERSION "* ]] || { echo "prometheus: $cmd.tmp is not version $VERSION: $out" >&2; exit 1; }
  mv -f "$CACHE/bin/$cmd.tmp" "$CACHE/bin/$cmd"
done
rm -rf "$src"
