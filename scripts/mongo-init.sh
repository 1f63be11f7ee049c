#!/usr/bin/env bash
# Initialises the sharded MongoDB cluster of compose.yaml and fills the demo
# collection. Idempotent: every step checks first, a second run changes
# nothing and prints the same report.
#
#   docker compose up -d
#   ./scripts/mongo-init.sh
#
# Steps
#   1. initiate the config replica set and both shard replica sets (on a
#      member's localhost: with keyFile auth and no users yet, only the
#      localhost exception lets us in); "already initialized" is success
#   2. wait for each set's primary
#   3. users, in the order the localhost exception requires: on each set's
#      primary first the admin (root) user, then - authenticated as it - the
#      others: the app user (config set = cluster-wide users, used through
#      mongos) and the monitor user (cluster-wide + shard-local, because the
#      exporters connect to shard members directly)
#   4. addShard for each shard replica set missing from listShards
#   5. shard <db>.<collection> on a hashed key unless config.collections has it
#   6. fill it with upserts {name: "ly<i>", age: i} up to --count documents
#   7. report: total documents, documents per shard, replica set members
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
sharded collection, demo documents) and print a report. Safe to re-run.

Options:
  --count N           have at least N documents in the collection (default $COUNT)
  --db NAME           database (default \$MONGODB_DATABASE_NAME or somedb)
  --collection NAME   collection to shard and fill (default $COLLECTION)
  --env-file PATH     read credentials from PATH (default: <repo>/.env if present)
  --no-fill           set everything up but do not insert documents
  --report-only       only print the report (needs the admin credentials)
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
NS="$DB_NAME.$COLLECTION"

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
# Every query is one `docker compose exec -T <service> mongosh --eval` call.
# Values go in through environment variables (process.env in mongosh), never
# spliced into JavaScript, so passwords and names need no quoting. Lines the
# script reads back start with "@@ "; anything else (warnings) is ignored.
JS_AUTH='try { db.getSiblingDB("admin").auth(process.env.SF_AUTH_USER, process.env.SF_AUTH_PASSWORD); } catch (e) { print("@@ auth-failed " + e.message); quit(3); }
'

# mongo_js SERVICE PORT none|admin JS [NAME=VALUE...] -> raw mongosh output
mongo_js() {
  local svc="$1" port="$2" auth="$3" js="$4" kv
  shift 4
  local args=(-f "$COMPOSE_FILE_PATH" exec -T)
  for kv in "$@"; do args+=(-e "$kv"); done
  if [[ "$auth" == admin ]]; then
    args+=(-e "SF_AUTH_USER=$MONGO_ADMIN_USER" -e "SF_AUTH_PASSWORD=$MONGO_ADMIN_PASSWORD")
    js="$JS_AUTH$js"
  fi
  args+=("$svc" mongosh --port "$port" --quiet --norc --eval "$js")
  "${COMPOSE[@]}" "${args[@]}"
}

# q SERVICE PORT AUTH JS [NAME=VALUE...] -> the "@@ " lines, prefix removed;
# fails (after printing the raw output to stderr) when mongosh fails.
q() {
  local out rc=0
  out="$(mongo_js "$@" 2>&1)" || rc=$?
  if ((rc != 0)); then
    printf '%s\n' "$out" >&2
    return "$rc"
  fi
  printf '%s\n' "$out" | sed -n 's/^@@ //p'
}

# q1 ... -> first "@@ " line only, or die
q1() {
  local out
  out="$(q "$@")" || die "query on $1 failed (see above)"
  printf '%s\n' "${out%%$'\n'*}"
}

# wait_until DESCRIPTION COMMAND... : retries COMMAND (which must print a
# non-empty line when satisfied) until TIMEOUT; prints that line.
wait_until() {
  local what="$1" out deadline=$((SECONDS + TIMEOUT))
  shift
  while :; do
    out="$("$@" 2>/dev/null || true)"
    out="${out%%$'\n'*}"
    if [[ -n "$out" ]]; then
      printf '%s\n' "$out"
      return 0
    fi
    ((SECONDS < deadline)) || die "timed out after ${TIMEOUT}s waiting for $what"
    sleep "$POLL"
  done
}

members_of() { # members_of RS -> service names, one per line
  case "$1" in
    "$CONFIG_RS") printf '%s\n' "${CONFIG_MEMBERS[@]}" ;;
    shard1rs) printf '%s\n' "${SHARD1RS_MEMBERS[@]}" ;;
    shard2rs) printf '%s\n' "${SHARD2RS_MEMBERS[@]}" ;;
    *) die "unknown replica set $1" ;;
  esac
}
port_of() { if [[ "$1" == "$CONFIG_RS" ]]; then echo "$CONFIG_PORT"; else echo "$SHARD_PORT"; fi; }

# "rs/host:port,host:port,host:port" as addShard and listShards spell it
rs_seed() {
  local rs="$1" port m hosts=()
  port="$(port_of "$rs")"
  while IFS= read -r m; do hosts+=("$m:$port"); done < <(members_of "$rs")
  local IFS=,
  printf '%s/%s\n' "$rs" "${hosts[*]}"
}

# ---------------------------------------------------------- replica sets
JS_RS_STATE='/*q:rs-state*/ const h = db.hello();
print("@@ " + (h.setName ? "initialized" : (h.isreplicaset ? "uninitialized" : "standalone")));'

JS_RS_INITIATE='/*q:rs-initiate*/ try {
  const r = rs.initiate(JSON.parse(process.env.SF_RS_CONFIG));
  print("@@ " + (r.ok === 1 ? "initiated" : "error " + JSON.stringify(r)));
} catch (e) {
  if (e.codeName === "AlreadyInitialized" || e.code === 23 || e.codeName === "Unauthorized" || e.code === 13) {
    print("@@ already");
  } else { print("@@ error " + e.message); quit(1); }
}'

JS_PRIMARY='/*q:primary*/ const h = db.hello(); if (h.primary) print("@@ " + h.primary);'

init_replica_set() {
  local rs="$1" port first config state result i=0 m primary members=()
  port="$(port_of "$rs")"
  mapfile -t members < <(members_of "$rs")
  first="${members[0]}"

  config="{\"_id\":\"$rs\""
  [[ "$rs" == "$CONFIG_RS" ]] && config+=',"configsvr":true'
  config+=',"members":['
  for m in "${members[@]}"; do
    ((i > 0)) && config+=','
    # The first member is preferred as primary (priority 2) but not required.
    config+="{\"_id\":$i,\"host\":\"$m:$port\",\"priority\":$((i == 0 ? 2 : 1))}"
    i=$((i + 1))
  done
  config+=']}'

  state="$(wait_until "$first to answer" q "$first" "$port" none "$JS_RS_STATE")"
  case "$state" in
    initialized) log "$rs: already initialized" ;;
    uninitialized)
      result="$(q1 "$first" "$port" none "$JS_RS_INITIATE" "SF_RS_CONFIG=$config")"
      case "$result" in
        initiated) log "$rs: initiated with ${members[*]}" ;;
        already) log "$rs: already initialized" ;;
        *) die "$rs: rs.initiate failed: $result" ;;
      esac
      ;;
    standalone) die "$first is not started with --replSet (check compose.yaml)" ;;
    *) die "$first: unexpected replica set state '$state'" ;;
  esac

  primary="$(wait_until "a primary in $rs" q "$first" "$port" none "$JS_PRIMARY")"
  log "$rs: primary is $primary"
  PRIMARY_SVC="${primary%:*}"
}

# ---------------------------------------------------------------- users
JS_AUTH_CHECK='/*q:auth-check*/ try {
  db.getSiblingDB("admin").auth(process.env.SF_CHECK_USER, process.env.SF_CHECK_PASSWORD);
  print("@@ auth-ok");
} catch (e) { print("@@ auth-failed"); }'

JS_CREATE_ADMIN='/*q:create-admin*/ try {
  db.getSiblingDB("admin").createUser({user: process.env.SF_NEW_USER, pwd: process.env.SF_NEW_PASSWORD,
                                       roles: [{role: "root", db: "admin"}]});
  print("@@ created");
} catch (e) {
  if (e.codeName === "Unauthorized" || e.code === 13) print("@@ unauthorized");
  else if (e.code === 51003 || /already exists/.test(e.message)) print("@@ exists");
  else { print("@@ error " + e.message); quit(1); }
}'

JS_ENSURE_USER='/*q:ensure-user*/ const adm = db.getSiblingDB("admin");
if (adm.getUser(process.env.SF_NEW_USER)) { print("@@ exists"); }
else {
  adm.createUser({user: process.env.SF_NEW_USER, pwd: process.env.SF_NEW_PASSWORD,
                  roles: JSON.parse(process.env.SF_NEW_ROLES)});
  print("@@ created");
}'

auth_ok() { # auth_ok SERVICE PORT USER PASSWORD
  [[ "$(q1 "$1" "$2" none "$JS_AUTH_CHECK" "SF_CHECK_USER=$3" "SF_CHECK_PASSWORD=$4")" == auth-ok ]]
}

# The admin user must be the first user of a replica set: created on the
# primary's localhost while no user exists (localhost exception).
ensure_admin() { # ensure_admin RS PRIMARY_SERVICE
  local rs="$1" svc="$2" port result
  port="$(port_of "$rs")"
  if auth_ok "$svc" "$port" "$MONGO_ADMIN_USER" "$MONGO_ADMIN_PASSWORD"; then
    log "$rs: admin user '$MONGO_ADMIN_USER' exists"
    return
  fi
  result="$(q1 "$svc" "$port" none "$JS_CREATE_ADMIN" \
    "SF_NEW_USER=$MONGO_ADMIN_USER" "SF_NEW_PASSWORD=$MONGO_ADMIN_PASSWORD")"
  case "$result" in
    created) log "$rs: created admin user '$MONGO_ADMIN_USER' (localhost exception)" ;;
    unauthorized | exists)
      die "$rs already has users but '$MONGO_ADMIN_USER' cannot log in with MONGO_ADMIN_PASSWORD: fix .env or the user" ;;
    *) die "$rs: creating the admin user failed: $result" ;;
  esac
}

ensure_user() { # ensure_user RS SERVICE USER PASSWORD ROLES_JSON
  local rs="$1" svc="$2" user="$3" password="$4" roles="$5" port result
  port="$(port_of "$rs")"
  result="$(q1 "$svc" "$port" admin "$JS_ENSURE_USER" \
    "SF_NEW_USER=$user" "SF_NEW_PASSWORD=$password" "SF_NEW_ROLES=$roles")"
  case "$result" in
    created) log "$rs: created user '$user'" ;;
    exists) log "$rs: user '$user' exists" ;;
    *) die "$rs: ensuring user '$user' failed: $result" ;;
  esac
  auth_ok "$svc" "$port" "$user" "$password" ||
    log "WARNING: $rs: user '$user' exists but does not accept the password from .env (change it with db.updateUser)"
}

APP_ROLES="[{\"role\":\"readWrite\",\"db\":\"$DB_NAME\"},{\"role\":\"clusterMonitor\",\"db\":\"admin\"}]"
MONITOR_ROLES='[{"role":"clusterMonitor","db":"admin"},{"role":"read","db":"local"}]'

# --------------------------------------------------------------- sharding
JS_MONGOS_READY='/*q:mongos-ready*/ const r = db.adminCommand({listShards: 1}); if (r.ok === 1) print("@@ ready");'

JS_LIST_SHARDS='/*q:list-shards*/ db.adminCommand({listShards: 1}).shards.forEach(s => print("@@ " + s._id));'

JS_ADD_SHARD='/*q:add-shard*/ const r = sh.addShard(process.env.SF_SHARD_SEED);
print("@@ " + (r.ok === 1 ? "added " + r.shardAdded : "error " + JSON.stringify(r)));'

JS_IS_SHARDED='/*q:is-sharded*/ const c = db.getSiblingDB("config").collections.findOne({_id: process.env.SF_NS});
print("@@ " + (c && !c.dropped ? "sharded " + JSON.stringify(c.key) : "unsharded"));'

JS_SHARD_COLLECTION='/*q:shard-collection*/ const key = {}; key[process.env.SF_SHARD_KEY] = "hashed";
db.getSiblingDB(process.env.SF_DB).getCollection(process.env.SF_COLLECTION).createIndex(key);
sh.enableSharding(process.env.SF_DB);
const r = sh.shardCollection(process.env.SF_NS, key);
print("@@ " + (r.ok === 1 ? "sharded" : "error " + JSON.stringify(r)));'

JS_COUNT='/*q:count*/ print("@@ " + db.getSiblingDB(process.env.SF_DB).getCollection(process.env.SF_COLLECTION).countDocuments({}));'

# Upserts filtered on the shard key (name): targeted to one shard, and
# re-running never duplicates a document.
# shellcheck disable=SC2016 # $setOnInsert is MongoDB syntax, not a shell expansion
JS_FILL='/*q:fill*/ const coll = db.getSiblingDB(process.env.SF_DB).getCollection(process.env.SF_COLLECTION);
const n = parseInt(process.env.SF_COUNT, 10); let upserted = 0;
for (let start = 0; start < n; start += 1000) {
  const ops = [];
  for (let i = start; i < Math.min(n, start + 1000); i++) {
    ops.push({updateOne: {filter: {name: "ly" + i}, update: {$setOnInsert: {age: i, name: "ly" + i}}, upsert: true}});
  }
  upserted += coll.bulkWrite(ops, {ordered: false, writeConcern: {w: "majority"}}).upsertedCount;
}
print("@@ upserted " + upserted);'

# shellcheck disable=SC2016 # $collStats is MongoDB syntax
JS_SHARD_COUNTS='/*q:shard-counts*/ db.getSiblingDB(process.env.SF_DB).getCollection(process.env.SF_COLLECTION)
  .aggregate([{$collStats: {count: {}}}]).toArray()
  .sort((a, b) => String(a.shard).localeCompare(String(b.shard)))
  .forEach(d => print("@@ " + d.shard + " " + d.count));'

JS_MEMBERS='/*q:members*/ rs.status().members.forEach(m => print("@@ " + m.name + " " + m.stateStr));'

ensure_shards() {
  local router="${MONGOS[0]}" existing rs result
  existing="$(q "$router" "$MONGOS_PORT" admin "$JS_LIST_SHARDS")" || die "listShards on $router failed"
  for rs in "${SHARD_RS[@]}"; do
    if grep -qx -- "$rs" <<<"$existing"; then
      log "shard $rs: already in the cluster"
      continue
    fi
    result="$(q1 "$router" "$MONGOS_PORT" admin "$JS_ADD_SHARD" "SF_SHARD_SEED=$(rs_seed "$rs")")"
    [[ "$result" == added* ]] || die "addShard $rs failed: $result"
    log "shard $rs: added"
  done
}

ensure_sharded_collection() {
  local router="${MONGOS[0]}" state result
  state="$(q1 "$router" "$MONGOS_PORT" admin "$JS_IS_SHARDED" "SF_NS=$NS")"
  if [[ "$state" == sharded* ]]; then
    log "$NS: already sharded, key ${state#sharded }"
    return
  fi
  [[ "$state" == unsharded ]] || die "checking $NS failed: $state"
  result="$(q1 "$router" "$MONGOS_PORT" admin "$JS_SHARD_COLLECTION" \
    "SF_DB=$DB_NAME" "SF_COLLECTION=$COLLECTION" "SF_NS=$NS" "SF_SHARD_KEY=$SHARD_KEY")"
  [[ "$result" == sharded ]] || die "shardCollection $NS failed: $result"
  log "$NS: sharded on { $SHARD_KEY: \"hashed\" }"
}

collection_count() {
  q1 "${MONGOS[0]}" "$MONGOS_PORT" admin "$JS_COUNT" "SF_DB=$DB_NAME" "SF_COLLECTION=$COLLECTION"
}

fill_collection() {
  local have result
  have="$(collection_count)"
  [[ "$have" =~ ^[0-9]+$ ]] || die "counting $NS failed: $have"
  if ((have >= COUNT)); then
    log "$NS: has $have documents (>= $COUNT), nothing to insert"
    return
  fi
  result="$(q1 "${MONGOS[0]}" "$MONGOS_PORT" admin "$JS_FILL" \
    "SF_DB=$DB_NAME" "SF_COLLECTION=$COLLECTION" "SF_COUNT=$COUNT")"
  [[ "$result" == upserted* ]] || die "filling $NS failed: $result"
  log "$NS: had $have documents, ${result}"
}

report() {
  local total rs svc line lines
  total="$(collection_count)"
  printf '\n== %s ==\n' "$NS"
  printf 'total documents: %s\n' "$total"
  lines="$(q "${MONGOS[0]}" "$MONGOS_PORT" admin "$JS_SHARD_COUNTS" \
    "SF_DB=$DB_NAME" "SF_COLLECTION=$COLLECTION")" || die "per-shard counts failed"
  while IFS= read -r line; do
    [[ -n "$line" ]] && printf '  on %s: %s documents\n' "${line%% *}" "${line#* }"
  done <<<"$lines"

  printf '\n== replica sets ==\n'
  for rs in "$CONFIG_RS" "${SHARD_RS[@]}"; do
    # The first line without `| head -n1`: head exiting early can kill the
    # writer with SIGPIPE, and pipefail turns that into exit 141.
    svc="$(members_of "$rs")"
    svc="${svc%%$'\n'*}"
    lines="$(q "$svc" "$(port_of "$rs")" admin "$JS_MEMBERS")" || die "rs.status() on $svc failed"
    printf '%s (%s members):\n' "$rs" "$(grep -c . <<<"$lines")"
    while IFS= read -r line; do
      [[ -n "$line" ]] && printf '  %-22s %s\n' "${line%% *}" "${line#* }"
    done <<<"$lines"
  done
}

# ------------------------------------------------------------------ main
if ((!REPORT_ONLY)); then
  for rs in "$CONFIG_RS" "${SHARD_RS[@]}"; do
    init_replica_set "$rs"
    ensure_admin "$rs" "$PRIMARY_SVC"
    if [[ "$rs" == "$CONFIG_RS" ]]; then
      # Cluster-wide users (stored on the config servers, used via mongos).
      ensure_user "$rs" "$PRIMARY_SVC" "$MONGO_APP_USER" "$MONGO_APP_PASSWORD" "$APP_ROLES"
    fi
    # Config set: monitors the config servers and the routers. Shards: a
    # shard-local user, because the exporters connect to members directly.
    ensure_user "$rs" "$PRIMARY_SVC" "$MONGO_MONITOR_USER" "$MONGO_MONITOR_PASSWORD" "$MONITOR_ROLES"
  done

  wait_until "${MONGOS[0]} to reach the config servers" \
    q "${MONGOS[0]}" "$MONGOS_PORT" admin "$JS_MONGOS_READY" >/dev/null
  ensure_shards
  ensure_sharded_collection
  if ((FILL)); then
    fill_collection
  else
    log "--no-fill: not inserting documents"
  fi
fi

report
