#!/bin/sh
# Render alertmanager.yml with webhook URLs from the environment, then exec the
# remaining arguments (normally alertmanager itself).
#
#   render-config.sh SRC DST [COMMAND ARGS...]
#
# compose.yaml (prom/alertmanager image, busybox sh + sed):
#   entrypoint: ["/bin/sh", "/etc/alertmanager/render-config.sh",
#                "/etc/alertmanager/alertmanager.yml", "/tmp/alertmanager.yml",
#                "/bin/alertmanager", "--config.file=/tmp/alertmanager.yml",
#                "--storage.path=/alertmanager"]
#   environment:
#     ALERTMANAGER_WEBHOOK_URL: https://hooks.example.org/storefront
#     ALERTMANAGER_CRITICAL_WEBHOOK_URL: https://pager.example.org/storefront   # optional
#
# Unset variables leave the placeholder URL (http://alertmanager-webhook.invalid/...).
set -eu

if [ "$#" -lt 2 ]; then
    echo "usage: $0 SRC DST [COMMAND ARGS...]" >&2
    exit 2
fi
src=$1
dst=$2
shift 2

placeholder=http://alertmanager-webhook.invalid

default_url=${ALERTMANAGER_WEBHOOK_URL:-}
critical_url=${ALERTMANAGER_CRITICAL_WEBHOOK_URL:-$default_url}

# Escape characters that are special in a sed replacement (we use | as delimiter).
esc() {
    printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'
}

# A URL must not contain characters that would break out of the YAML scalar.
check() {
    case "$1" in
        *[[:space:]\"\'\#]*)
            echo "render-config.sh: refusing webhook URL with whitespace, quotes or '#': $1" >&2
            exit 2
            ;;
    esac
}

script=""
if [ -n "$default_url" ]; then
    check "$default_url"
    d=$(esc "$default_url")
    script="${script}s|${placeholder}/default|${d}|;s|${placeholder}/warning|${d}|;"
fi
if [ -n "$critical_url" ]; then
    check "$critical_url"
    c=$(esc "$critical_url")
    script="${script}s|${placeholder}/critical|${c}|;"
fi

if [ -n "$script" ]; then
    sed -e "$script" "$src" > "$dst"
else
    cp "$src" "$dst"
fi

if [ "$#" -gt 0 ]; then
    exec "$@"
fi
