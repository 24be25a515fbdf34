#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests, benchmarks and the demo.
#
#   scripts/pgtmp.sh start [DIR]   create and start a cluster in DIR, print its DSN
#   scripts/pgtmp.sh dsn   [DIR]   print the DSN of the running cluster in DIR
#   scripts/pgtmp.sh stop  [DIR]   stop the cluster and remove DIR
#   scripts/pgtmp.sh restart [DIR] restart the running cluster (same port and data)
#
# DIR defaults to .pgtmp/ in the repository. Started by root, the server runs
# as user postgres (initdb and postgres refuse root); started by anyone else,
# as that user. It listens on a free TCP port on 127.0.0.1
# with trust authentication, and logs to DIR/server.log. The pgqrs library is
# preloaded (shared_preload_libraries, for the wake-ups of dequeue_wait), so
# install the extension first; PGQRS_PRELOAD= (empty) starts without it.
# Extra server options go in PGQRS_PG_OPTS, e.g. PGQRS_PG_OPTS="-c work_mem=64MB".
#
# Files in DIR: dsn, port, data (path of the data directory), server.log.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:-}
dir=${2:-$repo/.pgtmp}
pg_user=postgres
marker=.pgqrs-pgtmp   # only folders carrying this file are ever removed

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then echo "$PG_BINDIR"; return; fi
    "${PG_CONFIG:-pg_config}" --bindir
}

[ "$(id -u)" -eq 0 ] || pg_user=$(id -un)

# runs a command as the server's user (from /, which that user can enter)
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u "$pg_user" -- "$@"); else "$@"; fi
}

free_port() {
    # Ask the kernel for a free port; fall back to probing random ones.
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
        return
    fi
    local p
    while :; do
        p=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
}

running() {
    [ -f "$dir/data" ] || return 1
    as_pg "$(bindir)/pg_ctl" -D "$(cat "$dir/data")" status >/dev/null 2>&1
}

start() {
    if running; then
        cat "$dir/dsn"
        return
    fi
    [ -e "$dir" ] && stop_cluster quiet

    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    touch "$dir/$marker"
    chown "$pg_user:" "$dir"
    chmod 755 "$dir"

    # The server's files live in DIR when user postgres can reach it, else in
    # a folder under /tmp (DIR then keeps the dsn and a link to the log).
    local base=$dir
    if ! as_pg test -w "$dir"; then
        base=$(mktemp -d "${TMPDIR:-/tmp}/pgqrs-pgtmp.XXXXXX")
        touch "$base/$marker"
        chown "$pg_user:" "$base"
        echo "pgtmp: $dir is not reachable by user $pg_user; the cluster lives in $base" >&2
    fi
    local data=$base/pgdata log=$base/server.log
    echo "$data" > "$dir/data"
    [ "$base" = "$dir" ] || ln -sfn "$log" "$dir/server.log"

    local bin
    bin=$(bindir)
    as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 \
        --locale=C --no-sync >"$base/initdb.log" 2>&1 ||
        { cat "$base/initdb.log" >&2; echo "pgtmp: initdb failed" >&2; exit 1; }

    # Unix socket next to the data when the path fits (sun_path is 108 bytes).
    local sockdir=$base
    [ ${#base} -le 80 ] || sockdir=
    cat >>"$data/postgresql.conf" <<CONF

# pgtmp: throwaway cluster
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sockdir'
fsync = on
logging_collector = off
shared_preload_libraries = '${PGQRS_PRELOAD-pgqrs}'
CONF

    local port tries
    for tries in 1 2 3 4 5; do
        port=$(free_port)
        if as_pg "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 \
               -o "-p $port ${PGQRS_PG_OPTS:-}" start >/dev/null; then
            break
        fi
        if grep -q 'could not bind\|already in use' "$log" 2>/dev/null && [ "$tries" -lt 5 ]; then
            echo "pgtmp: port $port taken, trying another" >&2
            continue
        fi
        tail -n 30 "$log" >&2 || true
        echo "pgtmp: server did not start (log: $log)" >&2
        exit 1
    done

    local dsn="postgresql://postgres@127.0.0.1:$port/postgres"
    echo "$port" > "$dir/port"
    echo "$dsn" > "$dir/dsn"
    echo "$dsn"
}

stop_cluster() {
    local quiet=${1:-}
    [ -e "$dir" ] || return 0
    if [ ! -e "$dir/$marker" ]; then
        echo "pgtmp: $dir was not made by pgtmp.sh; not touching it" >&2
        exit 1
    fi
    if [ -f "$dir/data" ]; then
        local data base
        data=$(cat "$dir/data")
        base=$(dirname "$data")
        if [ -f "$data/postmaster.pid" ]; then
            as_pg "$(bindir)/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null ||
                echo "pgtmp: pg_ctl stop failed for $data" >&2
        fi
        if [ "$base" != "$dir" ] && [ -e "$base/$marker" ]; then
            rm -rf "$base"
        fi
    fi
    rm -rf "$dir"
    [ -n "$quiet" ] || echo "pgtmp: stopped and removed $dir" >&2
}

case "$cmd" in
    start) start ;;
    stop)  stop_cluster ;;
    restart)
        running || { echo "pgtmp: no cluster running in $dir" >&2; exit 1; }
        data=$(cat "$dir/data")
        # same log as before, so the crash check after the tests still sees everything
        as_pg "$(bindir)/pg_ctl" -D "$data" -l "$(dirname "$data")/server.log" -m fast -w -t 60 \
            restart >/dev/null ;;
    dsn)
        running || { echo "pgtmp: no cluster running in $dir" >&2; exit 1; }
        cat "$dir/dsn" ;;
    *) usage ;;
esac
