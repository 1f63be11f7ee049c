#!/usr/bin/env bash
# Wrapper entrypoint for every mongod / mongos container of compose.yaml.
#
# mongod refuses a keyFile that is readable by group/others, and it runs as
# uid 999 (mongodb) in the official image. Compose `configs`/`secrets` modes
# and owners are only applied under Swarm, and a shared volume or bind mount
# keeps whatever owner the host gave it, so we copy the shared key to a
# private file in the container's own filesystem, owned by 999 with mode 0400,
# and then hand over to the image's docker-entrypoint.sh unchanged.
#
# Environment:
#   MONGO_KEYFILE_SOURCE  shared key (read-only mount)  default /run/mongo-keyfile/keyfile
#   MONGO_KEYFILE         private copy passed to --keyFile   default /etc/mongo-keyfile/keyfile
#   MONGO_KEYFILE_OWNER   uid:gid of the copy                default 999:999
#   MONGO_ENTRYPOINT      what to exec afterwards            default docker-entrypoint.sh
set -euo pipefail

src="${MONGO_KEYFILE_SOURCE:-/run/mongo-keyfile/keyfile}"
dst="${MONGO_KEYFILE:-/etc/mongo-keyfile/keyfile}"
owner="${MONGO_KEYFILE_OWNER:-999:999}"
next="${MONGO_ENTRYPOINT:-docker-entrypoint.sh}"

die() {
  printf 'mongo-entrypoint: %s\n' "$*" >&2
  exit 1
}

[[ -r "$src" ]] || die "keyfile $src is missing or unreadable (did the mongo-keyfile job run?)"
[[ -s "$src" ]] || die "keyfile $src is empty"

if [[ "$(id -u)" -ne 0 ]]; then
  die "must start as root to install the keyfile for uid ${owner%%:*}"
fi

install -d -m 0755 "$(dirname "$dst")"
# umask so the copy is never readable by others, even for an instant.
(
  umask 0377
  rm -f "$dst"
  cp "$src" "$dst"
)
chown "$owner" "$dst"
chmod 0400 "$dst"

exec "$next" "$@"
