#!/usr/bin/env bash
# One-shot job (service redis-cluster-init in compose.yaml): creates the Redis
# Cluster only when CLUSTER INFO says there is none yet. Safe to run on every
# `docker compose up`:
#   - all 16384 slots assigned   -> the cluster exists: wait for cluster_state:ok
#                                   (best effort) and exit 0, changing nothing;
#   - no node has slots or peers -> fresh nodes: redis-cli --cluster create;
#   - anything in between        -> a half-made cluster: exit 1 with a hint,
#                                   never touch data automatically.
#
# Environment:
#   REDIS_CLUSTER_NODES     "ip:port ip:port ..." (IPs: cluster create needs them)
#   REDIS_CLUSTER_REPLICAS  replicas per master                   default 1
#   REDIS_WAIT_SECONDS      how long to wait for nodes / state ok default 60
#   REDIS_CLI               redis-cli binary                      default redis-cli
#   REDIS_ADMIN_PASSWORD    when set: every redis-cli call authenticates as
#   REDIS_ADMIN_USER        this ACL user (default admin; deploy/redis/acl.sh),
#                           the password passed through REDISCLI_AUTH, not argv
set -euo pipefail

read -r -a NODES <<<"${REDIS_CLUSTER_NODES:-}"
REPLICAS="${REDIS_CLUSTER_REPLICAS:-1}"
WAIT="${REDIS_WAIT_SECONDS:-60}"
CLI="${REDIS_CLI:-redis-cli}"
TOTAL_SLOTS=16384
AUTH_ARGS=()
if [[ -n "${REDIS_ADMIN_PASSWORD:-}" ]]; then
  export REDISCLI_AUTH="$REDIS_ADMIN_PASSWORD"
  AUTH_ARGS=(--user "${REDIS_ADMIN_USER:-admin}")
fi

log() { printf 'redis-cluster-init: %s\n' "$*"; }
die() {
  printf 'redis-cluster-init: ERROR: %s\n' "$*" >&2
  exit 1
}

[[ ${#NODES[@]} -gt 0 ]] || die "REDIS_CLUSTER_NODES is empty"
[[ "$REPLICAS" =~ ^[0-9]+$ ]] || die "REDIS_CLUSTER_REPLICAS must be a number"
[[ "$WAIT" =~ ^[0-9]+$ ]] || die "REDIS_WAIT_SECONDS must be a number"
min_nodes=$((3 * (REPLICAS + 1)))
[[ ${#NODES[@]} -ge $min_nodes ]] ||
  die "need at least $min_nodes nodes for $REPLICAS replica(s) per master, got ${#NODES[@]}"

node_cli() { # node_cli ip:port args...
  local node="$1"
  shift
  "$CLI" "${AUTH_ARGS[@]}" -h "${node%:*}" -p "${node##*:}" "$@"
}

# cluster_field "<CLUSTER INFO output>" name -> value (empty if absent)
cluster_field() {
  printf '%s\n' "$1" | tr -d '\r' | sed -n "s/^$2:\(.*\)$/\1/p" | head -n1
}

wait_for_ping() {
  local node deadline=$((SECONDS + WAIT))
  for node in "${NODES[@]}"; do
    until [[ "$(node_cli "$node" ping 2>/dev/null || true)" == *PONG* ]]; do
      ((SECONDS < deadline)) || die "node $node does not answer PING after ${WAIT}s"
      sleep 1
    done
  done
  log "all ${#NODES[@]} nodes answer PING"
}

# Prints one of: exists | fresh | partial:<reason>
cluster_status() {
  local node info assigned known state any_slots=0 any_peers=0
  for node in "${NODES[@]}"; do
    info="$(node_cli "$node" cluster info)" || die "CLUSTER INFO failed on $node"
    state="$(cluster_field "$info" cluster_state)"
    [[ -n "$state" ]] || die "$node did not return CLUSTER INFO (cluster-enabled off?)"
    assigned="$(cluster_field "$info" cluster_slots_assigned)"
    known="$(cluster_field "$info" cluster_known_nodes)"
    if [[ "${assigned:-0}" -eq $TOTAL_SLOTS && "${known:-0}" -ge ${#NODES[@]} ]]; then
      printf 'exists\n'
      return
    fi
    [[ "${assigned:-0}" -gt 0 ]] && any_slots=1
    [[ "${known:-1}" -gt 1 ]] && any_peers=1
  done
  if ((any_slots)); then
    printf 'partial:some slots are assigned but not all %s\n' "$TOTAL_SLOTS"
  elif ((any_peers)); then
    printf 'partial:nodes already know each other but no slots are assigned\n'
  else
    printf 'fresh\n'
  fi
}

wait_for_state_ok() { # returns 1 if the state is not ok within WAIT seconds
  local node info deadline=$((SECONDS + WAIT)) pending
  while :; do
    pending=()
    for node in "${NODES[@]}"; do
      info="$(node_cli "$node" cluster info 2>/dev/null || true)"
      [[ "$(cluster_field "$info" cluster_state)" == ok ]] || pending+=("$node")
    done
    if [[ ${#pending[@]} -eq 0 ]]; then
      log "cluster_state:ok on all ${#NODES[@]} nodes"
      return 0
    fi
    if ((SECONDS >= deadline)); then
      log "cluster_state is not ok yet on: ${pending[*]}"
      return 1
    fi
    sleep 1
  done
}

wait_for_ping
status="$(cluster_status)"
case "$status" in
  exists)
    log "cluster already exists (all $TOTAL_SLOTS slots assigned); nothing to create"
    # After a full restart the nodes need a few seconds to agree again; that is
    # not a reason to fail the job (storefront degrades to MongoDB meanwhile).
    wait_for_state_ok || log "continuing: the nodes will converge on their own"
    ;;
  fresh)
    log "creating the cluster: ${NODES[*]} with $REPLICAS replica(s) per master"
    "$CLI" "${AUTH_ARGS[@]}" --cluster create "${NODES[@]}" --cluster-replicas "$REPLICAS" --cluster-yes
    wait_for_state_ok || die "cluster created but cluster_state did not become ok within ${WAIT}s"
    ;;
  partial:*)
    die "${status#partial:}. Inspect with: redis-cli -h <node> cluster nodes; fix with 'redis-cli --cluster fix <node>' or, to start over, CLUSTER RESET HARD on every node."
    ;;
  *)
    die "unexpected status: $status"
    ;;
esac
