#!/usr/bin/env bash
# Container healthcheck for APISIX: GET /status/ready on the status API
# (apisix.status in deploy/apisix/config.yaml). Uses bash's /dev/tcp so it
# needs nothing beyond the image's bash.
set -euo pipefail

host="${APISIX_STATUS_HOST:-127.0.0.1}"
port="${APISIX_STATUS_PORT:-7085}"

exec 3<>"/dev/tcp/$host/$port"
printf 'GET /status/ready HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$host" >&3
IFS= read -r status_line <&3 || exit 1
exec 3<&-
case "$status_line" in
  "HTTP/"*" 200"*) exit 0 ;;
  *)
    printf 'apisix not ready: %s\n' "${status_line%$'\r'}" >&2
    exit 1
    ;;
esac
