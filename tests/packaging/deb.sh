#!/usr/bin/env bash
# Tests the Debian package in dist/ (make deb): apt-get installs it into the
# system's PostgreSQL, a fresh cluster runs CREATE EXTENSION pgqrs from it,
# without and with shared_preload_libraries = 'pgqrs', and apt-get purge
# removes every file it brought. pgqrs files that were there before (a
# `make install` into the system PostgreSQL) are put aside and put back after,
# also when the test fails.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
deb=$(ls "$repo"/dist/postgresql-*-pgqrs_*.deb)
package=$(dpkg-deb -f "$deb" Package)
version=$(dpkg-deb -f "$deb" Version)
major=$(sed -E 's/postgresql-([0-9]+)-pgqrs/\1/' <<<"$package")
bindir=/usr/lib/postgresql/$major/bin
libdir=/usr/lib/postgresql/$major/lib
extdir=/usr/share/postgresql/$major/extension

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pgqrs-deb.XXXXXX")
chmod 755 "$tmp"
mkdir "$tmp/saved"
status() { dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true; }
pgqrs_files() { find "$libdir" "$extdir" -maxdepth 1 -name 'pgqrs*' | sort; }

cleanup() {
    for cluster in "$tmp/plain" "$tmp/preloaded"; do
        PG_BINDIR=$bindir "$repo/scripts/pgtmp.sh" stop "$cluster" >/dev/null 2>&1 || true
    done
    if [ "$(status)" != "" ] && [ "$(status)" != not-installed ]; then
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "$package" >/dev/null 2>&1 || true
    fi
    if [ -n "$(ls -A "$tmp/saved")" ]; then
        cp -a "$tmp/saved/lib/." "$libdir/" 2>/dev/null || true
        cp -a "$tmp/saved/ext/." "$extdir/" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

if [ "$(status)" = installed ]; then
    echo "deb: $package is installed already; not touching it" >&2
    exit 1
fi
mkdir "$tmp/saved/lib" "$tmp/saved/ext"
for file in $(pgqrs_files); do
    case $file in "$libdir"/*) mv "$file" "$tmp/saved/lib/" ;; *) mv "$file" "$tmp/saved/ext/" ;; esac
done

echo "deb: apt-get install $(basename "$deb")"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; exit 1; }
grep -qx "$libdir/pgqrs.so" <<<"$(dpkg -L "$package")" || { echo "deb: $package has no pgqrs.so" >&2; exit 1; }

check_cluster() {  # check_cluster NAME PRELOAD
    local cluster=$tmp/$1 dsn
    dsn=$(PG_BINDIR=$bindir PGQRS_PRELOAD=$2 "$repo/scripts/pgtmp.sh" start "$cluster")
    psql -X -q -v ON_ERROR_STOP=1 "$dsn" -At <<'SQL'
CREATE EXTENSION pgqrs;
DO $check$
DECLARE
    id bigint;
BEGIN
    ASSERT pgqrs.version() = (SELECT extversion FROM pg_extension WHERE extname = 'pgqrs'), 'version';
    PERFORM pgqrs.verify();
    PERFORM pgqrs.create_queue('deb');
    id := pgqrs.enqueue('deb', '{"from": "the package"}');
    ASSERT (SELECT m.id FROM pgqrs.dequeue('deb', 1, 30) m) = id, 'dequeue';
    ASSERT pgqrs.archive(id), 'archive';
END
$check$;
SQL
    # preloaded, the library keeps its waiters in shared memory
    local shmem
    shmem=$(psql -X -At "$dsn" -c "SELECT count(*) FROM pg_shmem_allocations WHERE name = 'pgqrs waiters'")
    [ "$shmem" = "$([ -n "$2" ] && echo 1 || echo 0)" ] ||
        { echo "deb: $1 cluster: shared memory of waiters: $shmem" >&2; exit 1; }
    PG_BINDIR=$bindir "$repo/scripts/pgtmp.sh" stop "$cluster" >/dev/null 2>&1
    echo "deb: CREATE EXTENSION pgqrs $version in a fresh cluster, $1: ok"
}
check_cluster plain ""
check_cluster preloaded pgqrs

DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "$package" >"$tmp/purge.log" 2>&1 ||
    { cat "$tmp/purge.log"; exit 1; }
left=$(pgqrs_files)
[ -z "$left" ] || { echo "deb: files left after apt-get purge: $left" >&2; exit 1; }
echo "deb: apt-get purge removed every file: ok"
