#!/bin/sh
# One-shot gate of compose.yaml (service secrets-check; every other service
# waits for it to exit 0): refuses the values .env.example ships, so a stack
# never runs with known passwords. One line per problem, then exit 1.
#
#   SECRETS_CHECK_PASSWORDS  names of passwords: set, not "change-me",
#                            [A-Za-z0-9_-] (they go into URLs), >= 16 characters
#   SECRETS_CHECK_UUIDS      names of Consul tokens: set, not "change-me", a UUID
#   SECRETS_CHECK_PEM        names of PEM values (TLS certificate, key): set, not
#                            "change-me", a "-----BEGIN " block
# The values themselves come in variables of those names; none is printed.
set -eu

bad=0
problem() {
  printf 'secrets-check: %s\n' "$*" >&2
  bad=1
}

value_of() { # value_of NAME: the value of the variable NAME (names are checked first)
  case "$1" in
    *[!A-Za-z0-9_]* | "") problem "bad variable name in the check list: $1" && return ;;
  esac
  eval "printf '%s' \"\${$1:-}\""
}

check_common() { # check_common NAME VALUE -> 1 if reported
  case "$2" in
    "") problem "$1 is empty: set it in .env" && return 1 ;;
    change-me) problem "$1 is still the shipped placeholder 'change-me': set a real secret in .env (docs/deployment.md#credentials)" && return 1 ;;
  esac
  return 0
}

for name in ${SECRETS_CHECK_PASSWORDS:-}; do
  v="$(value_of "$name")"
  check_common "$name" "$v" || continue
  case "$v" in
    *[!A-Za-z0-9_-]*) problem "$name may contain only A-Z a-z 0-9 _ - (it is used inside URLs)"; continue ;;
  esac
  [ "${#v}" -ge 16 ] || problem "$name is shorter than 16 characters"
done

uuid='^[0-9a-fA-F]\{8\}-[0-9a-fA-F]\{4\}-[0-9a-fA-F]\{4\}-[0-9a-fA-F]\{4\}-[0-9a-fA-F]\{12\}$'
for name in ${SECRETS_CHECK_UUIDS:-}; do
  v="$(value_of "$name")"
  check_common "$name" "$v" || continue
  printf '%s\n' "$v" | grep -q "$uuid" || problem "$name must be a UUID (cat /proc/sys/kernel/random/uuid)"
done

for name in ${SECRETS_CHECK_PEM:-}; do
  v="$(value_of "$name")"
  check_common "$name" "$v" || continue
  printf '%s\n' "$v" | grep -q '^-----BEGIN ' || problem "$name is not PEM text (-----BEGIN ...)"
done

if [ "$bad" -ne 0 ]; then
  printf 'secrets-check: refusing to start; fix .env and run docker compose up again\n' >&2
  exit 1
fi
printf 'secrets-check: ok\n'
