# shellcheck shell=bash
# Helpers for the stack's Consul agent (scripts/stack). Source this file; it
# sets no shell options.
#
#   consul_bin                          the binary scripts/bootstrap builds
#   consul_has_leader PORT              true once the agent on PORT elected itself
#   consul_health PORT                  "ID STATUS" per registered instance of
#                                       $SERVICE_NAME (passing, warning, critical,
#                                       maintenance)
#   consul_maintenance PORT ID on|off   service maintenance mode: "on" takes the
#                                       instance out of DNS and health answers
#                                       while it stays registered

# The service name storefront registers (src/discovery/consul_registrar.hpp);
# HAProxy's SRV name and APISIX's service_name must match it (tests/deploy).
# shellcheck disable=SC2034  # used by scripts/stack
SERVICE_NAME=storefront

_consul_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

consul_bin() {
  printf '%s\n' "${CONSUL_BIN:-${STOREFRONT_CACHE:-${_consul_repo}/.cache}/bin/consul}"
}

consul_has_leader() {
  local leader
  leader="$(curl -s --max-time 2 "http://127.0.0.1:$1/v1/status/leader" 2>/dev/null)" || return 1
  [[ "$leader" == \"*:*\" ]]
}

consul_health() { # the supervisor's probe (scripts/lib/supervisor/probes.py)
  PYTHONPATH="$_consul_repo/scripts/lib${PYTHONPATH:+:$PYTHONPATH}" python3 -m supervisor consul-health "$1" "$SERVICE_NAME"
}

consul_maintenance() {
  local enable=false
  [[ "$3" == on ]] && enable=true
  [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X PUT \
    "http://127.0.0.1:$1/v1/agent/service/maintenance/$2?enable=$enable&reason=scripts/stack+scale")" == 200 ]]
}
