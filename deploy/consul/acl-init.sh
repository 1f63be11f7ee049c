#!/bin/sh
# One-shot job (service consul-acl-init in compose.yaml): the ACL policies and
# tokens of the deployment, with the secrets from .env. Idempotent: a policy
# or token that exists already is left as it is, so it runs on every `up`.
#
#   policy storefront-agent   node:write on the server's node     -> CONSUL_AGENT_TOKEN
#   policy storefront-service service "storefront" write, reads   -> CONSUL_STOREFRONT_TOKEN
#                             (storefront's PUT /v1/agent/service/register)
#   policy storefront-read    service/node/agent read             -> CONSUL_READ_TOKEN
#                             (APISIX discovery, Prometheus SD and the Consul scrape)
#
# Environment: CONSUL_HTTP_ADDR, CONSUL_MANAGEMENT_TOKEN (the initial management
# token of deploy/consul/entrypoint.sh), the three tokens above; CONSUL_NODE_NAME
# (default consul-server-1); CONSUL_WAIT_SECONDS (default 60); CONSUL (the CLI).
set -eu

CONSUL="${CONSUL:-consul}"
NODE="${CONSUL_NODE_NAME:-consul-server-1}"
WAIT="${CONSUL_WAIT_SECONDS:-60}"
export CONSUL_HTTP_TOKEN="$CONSUL_MANAGEMENT_TOKEN"

log() { printf 'consul-acl-init: %s\n' "$*"; }
die() {
  printf 'consul-acl-init: ERROR: %s\n' "$*" >&2
  exit 1
}

# The initial management token exists once the server has become leader.
i=0
until "$CONSUL" acl token read -self >/dev/null 2>&1; do
  i=$((i + 1))
  [ "$i" -lt "$WAIT" ] || die "the management token is not accepted after ${WAIT}s (is CONSUL_MANAGEMENT_TOKEN the one the server started with?)"
  sleep 1
done

policy() { # policy NAME RULES
  if "$CONSUL" acl policy read -name "$1" >/dev/null 2>&1; then
    log "policy $1 exists"
  else
    "$CONSUL" acl policy create -name "$1" -rules "$2" >/dev/null
    log "policy $1 created"
  fi
}

token() { # token SECRET POLICY DESCRIPTION
  if CONSUL_HTTP_TOKEN="$1" "$CONSUL" acl token read -self >/dev/null 2>&1; then
    log "token for $2 exists"
  else
    "$CONSUL" acl token create -secret "$1" -policy-name "$2" -description "$3" >/dev/null
    log "token for $2 created"
  fi
}

policy storefront-agent "node \"$NODE\" { policy = \"write\" }
service_prefix \"\" { policy = \"read\" }"
policy storefront-service 'service "storefront" { policy = "write" }
service_prefix "" { policy = "read" }
node_prefix "" { policy = "read" }
agent_prefix "" { policy = "read" }'
policy storefront-read 'service_prefix "" { policy = "read" }
node_prefix "" { policy = "read" }
agent_prefix "" { policy = "read" }'

token "$CONSUL_AGENT_TOKEN" storefront-agent "agent token of $NODE"
token "$CONSUL_STOREFRONT_TOKEN" storefront-service "storefront instances: self-registration"
token "$CONSUL_READ_TOKEN" storefront-read "APISIX discovery, Prometheus service discovery and scrape"
log "done"
