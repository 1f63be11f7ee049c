#!/usr/bin/env bash
# Initialises the sharded MongoDB cluster of compose.yaml and fills the demo
# collection. Idempotent: every step checks first, a second run changes
# nothing and prints the same summary.
#
#   docker compose up -d
#   ./scripts/mongo-init.sh
#
# The logic is deploy/mongo/init.js (its header lists the steps and why each
# runs where it does); this wrapper reads the options and the credentials,
# pipes init.js into one `docker compose exec -T <service> mongosh` per step
# (replica-set + admin-user on each replica set, then cluster, fill, report on
# mongos-1), shows each step's JSON result on stderr and prints the report
# step's JSON summary on stdout:
#   {"step":"report","ns":...,"documents":{"total":N,"per_shard":{...}},
#    "replica_sets":{"configrs":[{"host":...,"state":"PRIMARY"},...],...},
#    "steps":[<the JSON result of every earlier step>]}
#
# Credentials come from the environment or from the compose .env file (the
# same one `docker compose` reads); see docs/deployment.md#credentials.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# ------------------------------------------------------------------ topology
# Must match compose.yaml (tests/deploy/test_mongo_init.py checks it).
CONFIG_RS=configrs
CONFIG_PORT=27019
CONFIG_MEMBERS=(configsvr-1 configsvr-2 configsvr-3)
SHARD_PORT=27018
SHARD_RS=(shard1rs shard2rs)
SHARD1RS_MEMBERS=(shard1-1 shard1-2 shard1-3)
SHARD2RS_MEMBERS=(shard2-1 shard2-2 shard2-3)
MONGOS_PORT=27017
MONGOS=(mongos-1 mongos-2 mongos-3)

# ------------------------------------------------------------------ options
COUNT=1000
DB_NAME=""
COLLECTION=helloDoc
# Hashed shard key. The fill step upserts by {name: ...}, which must contain
# the whole shard key for a targeted upsert, so this stays "name".
SHARD_KEY=name
ENV_FILE=""
REPORT_ONLY=0
FILL=1

usage() {
  cat <<EOF
Usage: scripts/mongo-init.sh [options]

Initialise the MongoDB cluster of compose.yaml (replica sets, users, shards,
sharded collection, demo documents) with deploy/mongo/init.js and print its
JSON summary on stdout (progress on stderr). Safe to re-run.

Options:
  --count N           have at least N documents in the collection (default $COUNT)
  --db NAME           database (default \$MONGODB_DATABASE_NAME or somedb)
  --collection NAME   collection to shard and fill (default $COLLECTION)
  --env-file PATH     read credentials from PATH (default: <repo>/.env if present)
  --no-fill           set everything up but do not insert documents
  --report-only       only print the summary (needs the admin credentials)
  -h, --help          show this help

Environment:
  MONGO_ADMIN_USER / MONGO_ADMIN_PASSWORD       root user (default user: admin)
  MONGO_APP_USER / MONGO_APP_PASSWORD           storefront's user (default: storefront)
  MONGO_MONITOR_USER / MONGO_MONITOR_PASSWORD   mongodb_exporter's user (default: monitor)
  COMPOSE              compose command (default: "docker compose")
  MONGO_INIT_COMPOSE_FILE  compose file (default: <repo>/compose.yaml)
  MONGO_INIT_TIMEOUT   seconds to wait for primaries / routers (default 120)
  MONGO_INIT_POLL      seconds between polls (default 2)
Variables already set in the environment win over the env file.
EOF
}

die() {
  printf 'mongo-init: ERROR: %s\n' "$*" >&2
  exit 1
}
log() { printf 'mongo-init: %s\n' "$*"; }

need_value() { # need_value option value
  [[ $# -ge 2 && -n "$2" && "$2" != --* ]] || die "$1 needs a value (see --help)"
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --count)
      need_value "$@"
      COUNT="$2"
      shift 2
      ;;
    --count=*) COUNT="${1#*=}" && shift ;;
    --db)
      need_value "$@"
      DB_NAME="$2"
      shift 2
      ;;
    --db=*) DB_NAME="${1#*=}" && shift ;;
    --collection)
      need_value "$@"
      COLLECTION="$2"
      shift 2
      ;;
    --collection=*) COLLECTION="${1#*=}" && shift ;;
    --env-file)
      need_value "$@"
      ENV_FILE="$2"
      shift 2
      ;;
    --env-file=*) ENV_FILE="${1#*=}" && shift ;;
    --no-fill) FILL=0 && shift ;;
    --report-only) REPORT_ONLY=1 && shift ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

if ! [[ "$COUNT" =~ ^[1-9][0-9]{0,8}$ ]]; then
  die "--count must be a positive integer, got '$COUNT'"
fi
NAME_RE='^[A-Za-z_][A-Za-z0-9_-]*$'
[[ -z "$DB_NAME" || "$DB_NAME" =~ $NAME_RE ]] || die "invalid --db name: $DB_NAME"
[[ "$COLLECTION" =~ $NAME_RE ]] || die "invalid --collection name: $COLLECTION"

# --------------------------------------------------------------- env file
# KEY=VALUE lines only (optionally quoted), never executed; variables that are
# already set in the environment are kept.
load_env_file() {
  local file="$1" line key value
  while IFS= read -r line || [[ -n "$line" ]]; do
    line="${line%$'\r'}"
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    line="${line#export }"
    [[ "$line" =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    key="${BASH_REMATCH[1]}"
    value="${BASH_REMATCH[2]}"
    if [[ "$value" =~ ^\"(.*)\"$ || "$value" =~ ^\'(.*)\'$ ]]; then
      value="${BASH_REMATCH[1]}"
    fi
    [[ -n "${!key+x}" ]] && continue
    printf -v "$key" '%s' "$value"
    export "${key?}"
  done <"$file"
}

if [[ -n "$ENV_FILE" ]]; then
  [[ -r "$ENV_FILE" ]] || die "env file not readable: $ENV_FILE"
  load_env_file "$ENV_FILE"
elif [[ -r "$REPO/.env" ]]; then
  load_env_file "$REPO/.env"
fi

MONGO_ADMIN_USER="${MONGO_ADMIN_USER:-admin}"
MONGO_APP_USER="${MONGO_APP_USER:-storefront}"
MONGO_MONITOR_USER="${MONGO_MONITOR_USER:-monitor}"
DB_NAME="${DB_NAME:-${MONGODB_DATABASE_NAME:-somedb}}"
[[ "$DB_NAME" =~ $NAME_RE ]] || die "invalid database name: $DB_NAME"

require_secret() {
  [[ -n "${!1:-}" ]] || die "$1 is not set (put it in .env, see docs/deployment.md#credentials)"
}
require_secret MONGO_ADMIN_PASSWORD
if ((!REPORT_ONLY)); then
  require_secret MONGO_APP_PASSWORD
  require_secret MONGO_MONITOR_PASSWORD
fi

TIMEOUT="${MONGO_INIT_TIMEOUT:-120}"
POLL="${MONGO_INIT_POLL:-2}"
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "MONGO_INIT_TIMEOUT must be a number of seconds"
[[ "$POLL" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "MONGO_INIT_POLL must be a number of seconds"

read -r -a COMPOSE <<<"${COMPOSE:-docker compose}"
COMPOSE_FILE_PATH="${MONGO_INIT_COMPOSE_FILE:-$REPO/compose.yaml}"
[[ -r "$COMPOSE_FILE_PATH" ]] || die "compose file not found: $COMPOSE_FILE_PATH"
command -v "${COMPOSE[0]}" >/dev/null || die "'${COMPOSE[0]}' not found (set COMPOSE, e.g. COMPOSE=docker-compose)"
"${COMPOSE[@]}" version >/dev/null 2>&1 || die "'${COMPOSE[*]} version' failed: is the Compose CLI installed?"

# --------------------------------------------------------------- mongosh
INIT_JS="$REPO/deploy/mongo/init.js"
[[ -r "$INIT_JS" ]] || die "$INIT_JS not found"

# "rs/host:port,host:port,host:port" as rs.initiate, addShard and listShards spell it
rs_seed() {
  local rs="$1" port m hosts=()
  case "$rs" in
    "$CONFIG_RS") port=$CONFIG_PORT && set -- "${CONFIG_MEMBERS[@]}" ;;
    shard1rs) port=$SHARD_PORT && set -- "${SHARD1RS_MEMBERS[@]}" ;;
    shard2rs) port=$SHARD_PORT && set -- "${SHARD2RS_MEMBERS[@]}" ;;
    *) die "unknown replica set $rs" ;;
  esac
  for m in "$@"; do hosts+=("$m:$port"); done
  local IFS=,
  printf '%s/%s\n' "$rs" "${hosts[*]}"
}

SHARD_SEEDS=()
for rs in "${SHARD_RS[@]}"; do SHARD_SEEDS+=("\"$(rs_seed "$rs")\""); done
# Names are checked against NAME_RE above and COUNT/TIMEOUT/POLL are numbers, so this JSON
# needs no escaping; user names and passwords go in as separate variables.
params_json() { # params_json [EXTRA_JSON_MEMBERS]
  local IFS=,
  printf '{"db":"%s","collection":"%s","shard_key":"%s","count":%s,"timeout_s":%s,"poll_s":%s,"config_rs":"%s","shard_rs":[%s]%s}' \
    "$DB_NAME" "$COLLECTION" "$SHARD_KEY" "$COUNT" "$TIMEOUT" "$POLL" "$(rs_seed "$CONFIG_RS")" \
    "${SHARD_SEEDS[*]}" "${1:+,$1}"
}

# run_step STEP SERVICE PORT [EXTRA_JSON_MEMBERS]: one mongosh on SERVICE's localhost runs
# init.js (piped in, so the containers need no copy of it); prints the step's JSON line.
# A member that does not answer yet (mongosh exits before the script prints anything) is
# retried until MONGO_INIT_TIMEOUT; an error the script reports ends the run.
run_step() {
  local step="$1" svc="$2" port="$3" extra="${4:-}" out rc line deadline=$((SECONDS + TIMEOUT))
  local args=(-f "$COMPOSE_FILE_PATH" exec -T -e "MONGO_INIT_STEP=$step" -e "MONGO_INIT_PARAMS=$(params_json "$extra")")
  local name
  for name in MONGO_ADMIN_USER MONGO_ADMIN_PASSWORD MONGO_APP_USER MONGO_APP_PASSWORD \
    MONGO_MONITOR_USER MONGO_MONITOR_PASSWORD MONGO_INIT_RESULTS; do
    [[ -n "${!name:-}" ]] && args+=(-e "$name=${!name}")
  done
  args+=("$svc" mongosh --port "$port" --quiet --norc --file /dev/stdin)
  while :; do
    rc=0
    out="$("${COMPOSE[@]}" "${args[@]}" <"$INIT_JS" 2>&1)" || rc=$?
    line="$(grep -m1 "^{\"step\":\"$step\"" <<<"$out" || true)"
    if [[ -n "$line" ]]; then
      ((rc == 0)) && printf '%s\n' "$line" && return 0
      die "$step on $svc: $line"
    fi
    ((SECONDS < deadline)) || die "timed out after ${TIMEOUT}s waiting for $svc to answer ($step): $out"
    sleep "$POLL"
  done
}

RESULTS=""
# Each step's line goes through a variable first: a `die` inside $(run_step)
# ends only that subshell, and only an assignment lets set -e stop the run.
record() { # record JSON_LINE: progress on stderr, kept for the report
  printf 'mongo-init: %s\n' "$1" >&2
  if [[ "$1" == *'"password_ok":false'* ]]; then
    printf 'mongo-init: WARNING: a user exists but does not accept the password from .env (change it with db.updateUser): %s\n' "$1" >&2
  fi
  RESULTS+="$1"$'\n'
}

# ------------------------------------------------------------------ main
if ((!REPORT_ONLY)); then
  for rs in "$CONFIG_RS" "${SHARD_RS[@]}"; do
    if [[ "$rs" == "$CONFIG_RS" ]]; then
      first="${CONFIG_MEMBERS[0]}" port=$CONFIG_PORT configsvr=true
    else
      members="${rs^^}_MEMBERS[0]"
      first="${!members}" port=$SHARD_PORT configsvr=false
    fi
    line="$(run_step replica-set "$first" "$port" "\"rs\":\"$(rs_seed "$rs")\",\"configsvr\":$configsvr")"
    record "$line"
    # The admin user goes through the localhost exception of the primary, wherever it is.
    [[ "$line" =~ \"primary\":\"([A-Za-z0-9_.-]+):[0-9]+\" ]] || die "$rs: no primary in $line"
    line="$(run_step admin-user "${BASH_REMATCH[1]}" "$port" "\"rs\":\"$(rs_seed "$rs")\"")"
    record "$line"
  done
  line="$(run_step cluster "${MONGOS[0]}" "$MONGOS_PORT")"
  record "$line"
  if ((FILL)); then
    line="$(run_step fill "${MONGOS[0]}" "$MONGOS_PORT")"
    record "$line"
  fi
fi

MONGO_INIT_RESULTS="$RESULTS" run_step report "${MONGOS[0]}" "$MONGOS_PORT"
