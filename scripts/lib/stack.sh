# shellcheck shell=bash
# Helpers for scripts/stack: the port plan, calls into the process supervisor
# (scripts/lib/supervisor) and health probes. Source this file after setting
# REPO and STACK_RUN_DIR; it sets no shell options.
#
# Every process the stack starts is recorded in $STACK_RUN_DIR/pids/<name>.pid
# as "<pid> <start time>" (field 22 of /proc/<pid>/stat). A process counts as
# ours only while both still match, so a pid reused by the system after a crash
# is never signalled (scripts/lib/supervisor/process.py).

# ------------------------------------------------------------------ ports
# Everything hangs off one base port B (STACK_BASE_PORT, default 8080):
#   B            gateway (HAProxy)            B+10  HAProxy stats + /metrics
#   B+1 .. B+9   storefront instances         B+11  MongoDB stand-in
#                (storefront-N on B+N)        B+12  Prometheus
#   B+20 .. B+25 Redis Cluster nodes          B+13  Alertmanager
#                (cluster bus: port + 10000)  B+14  redis_exporter
#   B+26         gateway over TLS (HAProxy)
#                                             B+15  Consul HTTP API
#                                             B+16  Consul DNS (UDP and TCP)
#                                             B+17  Consul serf LAN (UDP and TCP)
#                                             B+18  Consul server RPC
#                                             B+19  media edge (nginx)
# STACK_MAX_INSTANCES is the most instances the plan has room for (and the
# number of HAProxy server slots filled from Consul).
# shellcheck disable=SC2034  # the variables are the interface
STACK_MAX_INSTANCES=9
stack_ports() { # stack_ports BASE INSTANCES: sets the *_PORT variables
  local base=$1 n=$2 i
  GATEWAY_PORT=$base
  STATS_PORT=$((base + 10))
  MONGO_PORT=$((base + 11))
  PROMETHEUS_PORT=$((base + 12))
  ALERTMANAGER_PORT=$((base + 13))
  REDIS_EXPORTER_PORT=$((base + 14))
  CONSUL_HTTP_PORT=$((base + 15))
  CONSUL_DNS_PORT=$((base + 16))
  CONSUL_SERF_PORT=$((base + 17))
  CONSUL_SERVER_PORT=$((base + 18))
  MEDIA_PORT=$((base + 19))
  TLS_PORT=$((base + 26))
  STOREFRONT_PORTS=()
  for ((i = 1; i <= n; i++)); do STOREFRONT_PORTS+=($((base + i))); done
  REDIS_PORTS=()
  for ((i = 0; i < 6; i++)); do REDIS_PORTS+=($((base + 20 + i))); done
}

# ------------------------------------------------------------- processes
# Spawning, readiness waits, stopping and pid files are the Python supervisor's
# (scripts/lib/supervisor, stdlib only: it runs with the system python3 before
# the venv exists); these are thin calls into it.
_stack_lib="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

supervisor() { # supervisor COMMAND ARGS...: python3 -m supervisor (see its --help)
  PYTHONPATH="$_stack_lib${PYTHONPATH:+:$PYTHONPATH}" python3 -m supervisor "$@"
}

stack_pidfile() { printf '%s/pids/%s.pid\n' "$STACK_RUN_DIR" "$1"; }

# stack_pid NAME: prints the pid if the recorded process is still alive.
stack_pid() { supervisor pid --pid-file "$(stack_pidfile "$1")"; }

stack_alive() { stack_pid "$1" >/dev/null; }

# stack_pids: "NAME PID" per running component, in one call (status, down and
# up ask about every component at once); false when nothing runs.
stack_pids() { supervisor pids "$STACK_RUN_DIR/pids"; }

# stack_start NAME READINESS-OPTIONS... -- CMD...: starts CMD detached (own
# session, working directory STACK_RUN_DIR, stdin closed, output appended to
# logs/NAME.log), records it and waits until the readiness check passes. On a
# timeout or an early exit it prints the log tail, stops CMD and returns 1.
stack_start() {
  local name=$1
  shift
  mkdir -p "$STACK_RUN_DIR/pids"
  supervisor start --name "$name" --log "$STACK_RUN_DIR/logs/$name.log" \
    --pid-file "$(stack_pidfile "$name")" --cwd "$STACK_RUN_DIR" "$@" 9>&-
}

# stack_kill NAME [SIGNAL [TIMEOUT_S]]: signals the recorded process and waits
# for it to exit (SIGKILL after TIMEOUT_S, default 20); removes the pid file.
stack_kill() {
  supervisor stop --name "$1" --pid-file "$(stack_pidfile "$1")" --signal "${2:-TERM}" --grace "${3:-20}"
}

# ------------------------------------------------------------------- TLS
# stack_tls_cert DIR: a self-signed certificate for localhost and 127.0.0.1
# (the gateway's TLS port, HAProxy): DIR/gateway.crt is what a client
# verifies against (curl --cacert), DIR/gateway.pem is certificate + key for
# HAProxy's `ssl crt`. Made once, renewed when less than a day is left.
stack_tls_cert() {
  local dir=$1
  if [[ -f "$dir/gateway.pem" ]] && openssl x509 -checkend 86400 -noout -in "$dir/gateway.crt" >/dev/null 2>&1; then
    return 0
  fi
  mkdir -p "$dir"
  (
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localhost" \
      -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      -keyout "$dir/gateway.key" -out "$dir/gateway.crt" >/dev/null 2>&1 &&
      cat "$dir/gateway.crt" "$dir/gateway.key" >"$dir/gateway.pem"
  ) || return 1
  chmod 644 "$dir/gateway.crt"
}

# ----------------------------------------------------------------- probes
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# http_code URL [MAX_TIME]: prints the status code (000 when nothing answered).
http_code() {
  curl -s -o /dev/null -w '%{http_code}' --max-time "${2:-2}" "$1" 2>/dev/null || true
}

# wait_until TIMEOUT_S DESCRIPTION CMD...: polls CMD every 0.2 s.
wait_until() {
  local timeout=$1 what=$2 deadline
  shift 2
  deadline=$((SECONDS + timeout))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      printf 'stack: timed out after %ss waiting for %s\n' "$timeout" "$what" >&2
      return 1
    fi
    sleep 0.2
  done
}

http_ok() { [[ "$(http_code "$1")" == 200 ]]; }

# haproxy_cmd COMMAND: one command on the HAProxy runtime API (unix socket).
haproxy_cmd() { supervisor haproxy "$STACK_RUN_DIR/haproxy/admin.sock" "$1"; }

# haproxy_slots: "SLOT PORT STATE" per server slot of backend storefront, e.g.
# "sf4 14082 UP". The slots are filled from Consul's SRV answers in no
# particular order; PORT is "-" for a slot that holds no instance (MAINT).
haproxy_slots() {
  haproxy_cmd "show stat" 2>/dev/null | awk -F, '
    NR == 1 { for (i = 1; i <= NF; i++) { h = $i; sub(/^# /, "", h); col[h] = i }; next }
    $1 == "storefront" && $2 ~ /^sf[0-9]+$/ {
      port = $(col["addr"]); sub(/.*:/, "", port)
      if (port == "" || port == "0") port = "-"
      split($(col["status"]), st, " ")
      print $2, port, st[1]
    }'
}

# haproxy_slot_of PORT: the slot that holds the instance listening on PORT.
haproxy_slot_of() {
  haproxy_slots | awk -v p="$1" '$2 == p { print $1; found = 1; exit } END { exit !found }'
}

# haproxy_port_state PORT: UP, DOWN, MAINT, ... of the instance on PORT, or
# "absent" when no slot holds it (not in Consul's answers).
haproxy_port_state() {
  haproxy_slots | awk -v p="$1" '$2 == p { print $3; found = 1; exit } END { if (!found) print "absent" }'
}

haproxy_port_is() { [[ "$(haproxy_port_state "$1")" == "$2" ]]; }

# haproxy_slot_sessions SLOT: current sessions on server SLOT.
haproxy_slot_sessions() {
  haproxy_cmd "show stat" 2>/dev/null |
    awk -F, -v s="$1" '$1 == "storefront" && $2 == s { print $5 }'
}

# redis_cli PORT ARGS...: redis-cli on a node of the stack as its ACL user admin
# (deploy/redis/acl.sh; the password from the run dir's secrets.env, passed
# through REDISCLI_AUTH rather than the command line).
redis_cli() {
  local port=$1
  shift
  REDISCLI_AUTH="${REDIS_ADMIN_PASSWORD:-}" redis-cli --user admin -h 127.0.0.1 -p "$port" "$@"
}

redis_field() { # redis_field PORT SECTION FIELD
  redis_cli "$1" info "$2" 2>/dev/null | tr -d '\r' | sed -n "s/^$3:\(.*\)$/\1/p"
}
