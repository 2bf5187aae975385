#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on a private unix socket, for the FFT5xx planner test
# (tests/rules/test_sql_postgres.py).
#
#   . .ci/postgres.sh           # from .ci/run: starts it, exports FFTLINT_PG_SOCKET,
#                               # and stops it when the calling shell exits
#   bash .ci/postgres.sh start  # by hand: prints the export line to use
#   bash .ci/postgres.sh stop DIR
#
# Installs Debian's `postgresql` package when no server binaries are found (CI runs as
# root). Every start uses a fresh temporary directory for data and socket, so running
# twice, or with a stale cluster from an earlier run around, never collides. No TCP
# port is opened (listen_addresses=''). A failure here never aborts the caller: the test
# then fails under CI=true with the reason.

fftlint_pg_bindir() {
    local ctl
    ctl=$(command -v pg_ctl 2>/dev/null || true)
    if [ -n "$ctl" ] && [ -x "$(dirname "$ctl")/initdb" ]; then
        dirname "$ctl"
        return 0
    fi
    # Debian keeps the server binaries out of PATH
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

fftlint_pg_as_owner() {
    # initdb and postgres refuse to run as root: use the `postgres` account then.
    if [ "$(id -u)" = "0" ]; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u postgres -- "$@"
        else
            su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
        fi
    else
        "$@"
    fi
}

fftlint_pg_install() {
    [ -n "$(fftlint_pg_bindir)" ] && [ -x "$(fftlint_pg_bindir)/initdb" ] && return 0
    if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "postgres.sh: PostgreSQL is not installed and cannot be installed here (need root and apt-get)" >&2
        return 1
    fi
    echo "postgres.sh: installing PostgreSQL (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
}

fftlint_pg_start() {
    fftlint_pg_install || return 1
    local bin dir
    bin=$(fftlint_pg_bindir)
    [ -x "$bin/initdb" ] || { echo "postgres.sh: initdb not found" >&2; return 1; }
    dir=$(mktemp -d "${TMPDIR:-/tmp}/fftlint-pg.XXXXXX") || return 1
    chmod 755 "$dir"
    if [ "$(id -u)" = "0" ]; then
        id postgres >/dev/null 2>&1 || { echo "postgres.sh: no postgres user" >&2; return 1; }
        chown postgres "$dir"
    fi
    fftlint_pg_as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { echo "postgres.sh: initdb failed:" >&2; cat "$dir/initdb.log" >&2; return 1; }
    fftlint_pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-k $dir -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >&2 \
        || { echo "postgres.sh: the server did not start:" >&2; cat "$dir/server.log" >&2; return 1; }
    FFTLINT_PG_SOCKET="$dir"
    export FFTLINT_PG_SOCKET
    return 0
}

fftlint_pg_stop() {
    local dir=${1:-${FFTLINT_PG_SOCKET:-}}
    [ -n "$dir" ] && [ -d "$dir/data" ] || return 0
    fftlint_pg_as_owner "$(fftlint_pg_bindir)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    # sourced (by .ci/run): start, export, and clean up when the caller exits
    if fftlint_pg_start; then
        trap 'fftlint_pg_stop "$FFTLINT_PG_SOCKET"' EXIT
        echo "postgres.sh: PostgreSQL is up on $FFTLINT_PG_SOCKET" >&2
    else
        echo "postgres.sh: WARNING: no PostgreSQL; the planner test will fail under CI" >&2
    fi
else
    set -u
    case "${1:-start}" in
        start) fftlint_pg_start && echo "export FFTLINT_PG_SOCKET=$FFTLINT_PG_SOCKET" ;;
        stop) fftlint_pg_stop "${2:-}" ;;
        *) echo "usage: $0 [start|stop DIR]" >&2; exit 2 ;;
    esac
fi
