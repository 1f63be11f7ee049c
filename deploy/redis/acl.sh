#!/bin/sh
# Redis ACL users of storefront's Redis Cluster, from the environment. One
# script for compose.yaml (the redis-node-N entrypoint), scripts/stack and the
# tests, so all three run the same users:
#
#   default     off: a connection that does not authenticate can do nothing
#   admin       everything: redis-cluster-init, the healthchecks, replication
#               (masteruser) and operators
#   storefront  the commands the cache client sends (src/cache), nothing else
#   exporter    what redis_exporter reads (INFO, CONFIG GET, CLUSTER INFO, ...)
#
# Usage:
#   acl.sh --render DIR      writes DIR/users.acl and DIR/auth.conf (mode 0600;
#                            auth.conf: aclfile, masteruser, masterauth) and exits
#   acl.sh redis-server ARGS...
#                            entrypoint: renders into $REDIS_ACL_DIR (default
#                            /run/redis, a tmpfs), hands the files to the redis
#                            user and execs the image's docker-entrypoint.sh with
#                            ARGS --include DIR/auth.conf
#
# Environment: REDIS_ADMIN_PASSWORD, REDIS_STOREFRONT_PASSWORD,
# REDIS_EXPORTER_PASSWORD (required; [A-Za-z0-9_-], at least 16 characters:
# they also end up in redis-cluster:// URLs).
set -eu

die() {
  printf 'redis-acl: ERROR: %s\n' "$*" >&2
  exit 1
}

check_password() { # check_password NAME VALUE
  case "$2" in
    "") die "$1 is not set" ;;
    change-me) die "$1 is still the shipped placeholder 'change-me'" ;;
    *[!A-Za-z0-9_-]*) die "$1 may contain only A-Z a-z 0-9 _ -" ;;
  esac
  [ "${#2}" -ge 16 ] || die "$1 must be at least 16 characters"
}

render() { # render DIR
  check_password REDIS_ADMIN_PASSWORD "${REDIS_ADMIN_PASSWORD:-}"
  check_password REDIS_STOREFRONT_PASSWORD "${REDIS_STOREFRONT_PASSWORD:-}"
  check_password REDIS_EXPORTER_PASSWORD "${REDIS_EXPORTER_PASSWORD:-}"
  mkdir -p "$1"
  (
    umask 077
    {
      echo "user default off resetkeys resetchannels -@all"
      echo "user admin on >$REDIS_ADMIN_PASSWORD ~* &* +@all"
      # src/cache: GET SET MGET DEL INCR PING SELECT, and for the cluster
      # client CLUSTER SLOTS, READONLY, ASKING.
      echo "user storefront on >$REDIS_STOREFRONT_PASSWORD ~* resetchannels -@all +@connection" \
        "+get +set +mget +del +incr +select +readonly +asking +cluster|slots"
      echo "user exporter on >$REDIS_EXPORTER_PASSWORD ~* resetchannels -@all +@connection" \
        "+info +config|get +cluster|info +cluster|nodes +slowlog|get +slowlog|len +latency|latest" \
        "+client|list +memory|stats +dbsize +select +type +strlen +scan"
    } >"$1/users.acl"
    printf 'aclfile %s\nmasteruser admin\nmasterauth %s\n' "$1/users.acl" "$REDIS_ADMIN_PASSWORD" >"$1/auth.conf"
  )
}

if [ "${1:-}" = --render ]; then
  [ -n "${2:-}" ] || die "usage: acl.sh --render DIR"
  render "$2"
  exit 0
fi

dir="${REDIS_ACL_DIR:-/run/redis}"
render "$dir"
# The image's entrypoint drops to the redis user, which must read both files.
if [ "$(id -u)" -eq 0 ]; then chown -R redis:redis "$dir"; fi
exec docker-entrypoint.sh "$@" --include "$dir/auth.conf"
