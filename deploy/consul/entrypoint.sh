#!/bin/sh
# Entrypoint of the consul service (compose.yaml): writes the ACL tokens the
# agent itself needs from the environment into a file on a tmpfs (never on
# the command line, where `ps` would show them), then execs the image's
# entrypoint with that file as one more -config-file.
#
#   CONSUL_MANAGEMENT_TOKEN  acl.tokens.initial_management: created by the
#                            server when it first becomes leader
#   CONSUL_AGENT_TOKEN       acl.tokens.agent: the agent's own token, created
#                            with its node policy by consul-acl-init
#   CONSUL_ACL_DIR           where the file goes            default /consul/acl
#   CONSUL_ENTRYPOINT        what to exec                   default docker-entrypoint.sh
set -eu

dir="${CONSUL_ACL_DIR:-/consul/acl}"
uuid='^[0-9a-fA-F]\{8\}-[0-9a-fA-F]\{4\}-[0-9a-fA-F]\{4\}-[0-9a-fA-F]\{4\}-[0-9a-fA-F]\{12\}$'
for name in CONSUL_MANAGEMENT_TOKEN CONSUL_AGENT_TOKEN; do
  eval "v=\${$name:-}"
  # shellcheck disable=SC2154  # v is set by the eval
  printf '%s\n' "$v" | grep -q "$uuid" || {
    printf 'consul-entrypoint: %s must be a UUID\n' "$name" >&2
    exit 1
  }
done
mkdir -p "$dir"
(
  umask 077
  printf 'acl {\n  tokens {\n    initial_management = "%s"\n    agent = "%s"\n  }\n}\n' \
    "$CONSUL_MANAGEMENT_TOKEN" "$CONSUL_AGENT_TOKEN" >"$dir/tokens.hcl"
)
# The image's entrypoint drops to the consul user, which must read the file.
if [ "$(id -u)" -eq 0 ] && id consul >/dev/null 2>&1; then chown -R consul:consul "$dir"; fi
exec "${CONSUL_ENTRYPOINT:-docker-entrypoint.sh}" "$@" -config-file="$dir/tokens.hcl"
