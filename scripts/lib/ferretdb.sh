# shellcheck shell=bash
# Helpers to run a local FerretDB (MongoDB wire protocol over SQLite) for tests.
# Source this file; it does not change shell options of the caller.
#
#   ferretdb_start PORT DATADIR LOGFILE   start in background, pid in DATADIR/ferretdb.pid,
#                                         wait up to 15 s for the port to accept TCP
#   ferretdb_stop DATADIR                 SIGTERM (then SIGKILL after 10 s), remove the pid file
#
# The binary is ${FERRETDB_BIN:-${STOREFRONT_CACHE:-<repo>/.cache}/bin/ferretdb},
# built by scripts/bootstrap. FERRETDB_LOG_LEVEL (default error) sets its log level.

_ferretdb_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

ferretdb_bin() {
  printf '%s\n' "${FERRETDB_BIN:-${STOREFRONT_CACHE:-${_ferretdb_repo}/.cache}/bin/ferretdb}"
}

# _ferretdb_port_open PORT: true if 127.0.0.1:PORT accepts a TCP connection.
_ferretdb_port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

ferretdb_start() {
  if [[ $# -ne 3 ]]; then
    echo "usage: ferretdb_start PORT DATADIR LOGFILE" >&2
    return 2
  fi
  local port=$1 datadir=$2 logfile=$3
  local bin pidfile pid i
  bin="$(ferretdb_bin)"
  if [[ ! -x "$bin" ]]; then
    echo "ferretdb: binary $bin not found; run scripts/bootstrap" >&2
    return 1
  fi
  mkdir -p "$datadir" "$(dirname "$logfile")"
  datadir="$(cd "$datadir" && pwd)"
  pidfile="$datadir/ferretdb.pid"

  if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "ferretdb: already running (pid $(cat "$pidfile")) for $datadir" >&2
    return 1
  fi
  if _ferretdb_port_open "$port"; then
    echo "ferretdb: port $port is already in use" >&2
    return 1
  fi

  # Background start; stdin closed so it never holds a terminal.
  "$bin" -listen-addr "127.0.0.1:$port" -sqlite-url "file:$datadir/" \
    -log-level "${FERRETDB_LOG_LEVEL:-error}" </dev/null >>"$logfile" 2>&1 &
  pid=$!
  echo "$pid" >"$pidfile"

  for ((i = 0; i < 150; i++)); do
    if _ferretdb_port_open "$port"; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "ferretdb: exited during start; see $logfile" >&2
      tail -n 20 "$logfile" >&2 || true
      rm -f "$pidfile"
      return 1
    fi
    sleep 0.1
  done
  echo "ferretdb: port $port not open after 15 s; see $logfile" >&2
  kill "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  return 1
}

ferretdb_stop() {
  if [[ $# -ne 1 ]]; then
    echo "usage: ferretdb_stop DATADIR" >&2
    return 2
  fi
  local pidfile="$1/ferretdb.pid" pid i
  [[ -f "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "ferretdb: pid $pid ignored SIGTERM for 10 s, killing" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    # Reap it if it is our child; harmless otherwise.
    wait "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}
