#!/usr/bin/env bash
# One-shot job (service mongo-keyfile in compose.yaml): makes sure the shared
# volume holds a MongoDB internal-auth keyFile. An existing valid key is never
# replaced, so re-running `docker compose up` keeps the cluster's key; a
# missing, empty or malformed one is (re)generated from /dev/urandom.
#
# A valid keyFile holds 6..1024 characters of the base64 alphabet (MongoDB's
# rule; whitespace is ignored by mongod but we never write any).
#
# Environment:
#   MONGO_KEYFILE_DIR     directory of the shared volume   default /run/mongo-keyfile
#   MONGO_KEYFILE_NAME    file name inside it              default keyfile
#   MONGO_KEYFILE_OWNER   uid:gid to own it (root only)    default 999:999
set -euo pipefail

dir="${MONGO_KEYFILE_DIR:-/run/mongo-keyfile}"
name="${MONGO_KEYFILE_NAME:-keyfile}"
owner="${MONGO_KEYFILE_OWNER:-999:999}"
key="$dir/$name"

log() { printf 'mongo-keyfile: %s\n' "$*"; }

valid_key() {
  local content
  [[ -s "$1" ]] || return 1
  content="$(tr -d ' \t\r\n' <"$1")"
  [[ ${#content} -ge 6 && ${#content} -le 1024 ]] || return 1
  [[ "$content" =~ ^[A-Za-z0-9+/=]+$ ]]
}

mkdir -p "$dir"

if valid_key "$key"; then
  log "keeping the existing key in $key"
else
  if [[ -e "$key" ]]; then
    log "existing $key is not a valid keyFile, generating a new one"
  else
    log "no key in $key, generating one"
  fi
  tmp="$(mktemp "$dir/.keyfile.XXXXXX")"
  # 756 random bytes -> 1008 base64 characters, within MongoDB's 1024 limit.
  head -c 756 /dev/urandom | base64 | tr -d '\n' >"$tmp"
  chmod 0400 "$tmp"
  mv -f "$tmp" "$key"
fi

chmod 0400 "$key"
if [[ "$(id -u)" -eq 0 ]]; then
  chown "$owner" "$key"
fi
log "ok ($(wc -c <"$key") bytes, mode 0400)"
