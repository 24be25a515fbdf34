#!/usr/bin/env bash
# The upgrade test: a release, built from its tag (v<version>), is installed
# and filled with data; then this version is installed over it, as a new
# package would be, and the database is updated with ALTER EXTENSION pgqrs
# UPDATE:
#
#  1. without a restart, the preloaded old library keeps the new one out;
#  2. before the update, the old functions refuse to run on the new library;
#  3. after it, nothing is lost and everything works (check.sql);
#  4. the updated schema equals a fresh install of this version (describe.sql,
#     a readable diff when not);
#  5. pg_dump / pg_restore of the updated database gives the same schema and rows.
#
# run.sh [OLD_VERSION]: from that release; by default from every release with
# an upgrade script to this version (sql/pgqrs--<old>--<this>.sql).
#
# Everything happens in a private copy of the PostgreSQL installation of
# $PG_CONFIG (binaries, libraries, extension files) under a temporary folder,
# with a throwaway server (scripts/pgtmp.sh) preloading pgqrs.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
here=$repo/tests/upgrade
pg_config=${PG_CONFIG:-pg_config}
make=${MAKE:-make}
new_version=$(sed -nE "s/^default_version = '(.*)'/\1/p" "$repo/pgqrs.control")

if [ $# -eq 0 ]; then
    for script in "$repo"/sql/pgqrs--*--"$new_version".sql; do
        from=${script##*/pgqrs--}
        "$0" "${from%%--*}"
    done
    exit
fi
old_version=$1
# the release's tag, or its commit from tests/upgrade/releases (a clone without tags)
old_rev=v$old_version
if ! git -C "$repo" rev-parse --verify --quiet "$old_rev^{commit}" >/dev/null; then
    old_rev=$(awk -v v="$old_version" '$1 == v { print $2 }' "$here/releases")
    git -C "$repo" rev-parse --verify --quiet "${old_rev:-none}^{commit}" >/dev/null ||
        { echo "upgrade: no tag v$old_version nor commit in tests/upgrade/releases for $old_version" >&2; exit 1; }
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pgqrs-upgrade.XXXXXX")
chmod 755 "$tmp"
root=$tmp/root
cluster=$tmp/pg
cleanup() {
    "$repo/scripts/pgtmp.sh" stop "$cluster" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

step() { echo "upgrade: $*"; }

# --- a private PostgreSQL installation -----------------------------------
# Binaries find their libraries and share folder relative to themselves, so a
# copy at $root + the same paths is a separate installation; `make install
# DESTDIR=$root` installs into it.
for dir in bindir pkglibdir sharedir; do
    path=$("$pg_config" --"$dir")
    mkdir -p "$root$(dirname "$path")"
    cp -a "$path" "$root$path"
done
rm -f "$root$("$pg_config" --pkglibdir)"/pgqrs*.so "$root$("$pg_config" --sharedir)"/extension/pgqrs*
export PG_BINDIR=$root$("$pg_config" --bindir)

step "building $old_version from v$old_version"
mkdir "$tmp/old"
git -C "$repo" archive "$old_rev" | tar -x -C "$tmp/old"
"$make" -s -C "$tmp/old" install-ext PG_CONFIG="$pg_config" DESTDIR="$root" >"$tmp/old-build.log" 2>&1 ||
    { cat "$tmp/old-build.log"; exit 1; }

"$repo/scripts/pgtmp.sh" start "$cluster" >/dev/null
port=$(cat "$cluster/port")
url() { echo "postgresql://127.0.0.1:$port/$2?user=$1"; }  # url ROLE DATABASE
psql_as() {  # psql_as ROLE DATABASE [psql args...]
    local role=$1 db=$2
    shift 2
    psql -X -q -v ON_ERROR_STOP=1 "$(url "$role" "$db")" "$@"
}
psql_as postgres postgres <<'SQL'
CREATE ROLE pgqrs_upgrade_owner LOGIN;
CREATE ROLE pgqrs_upgrade_producer;
CREATE ROLE pgqrs_upgrade_consumer;
GRANT pgqrs_upgrade_producer, pgqrs_upgrade_consumer TO pgqrs_upgrade_owner;
CREATE DATABASE updated OWNER pgqrs_upgrade_owner;
CREATE DATABASE fresh OWNER pgqrs_upgrade_owner;
CREATE DATABASE restored OWNER pgqrs_upgrade_owner;
SQL

step "installing $old_version in a database and filling it"
psql_as pgqrs_upgrade_owner updated -c 'CREATE EXTENSION pgqrs'
[ "$(psql_as postgres updated -Atc 'SELECT pgqrs.version()')" = "$old_version" ]
psql_as pgqrs_upgrade_owner updated -f "$here/fill.sql" >/dev/null

step "installing this version over it"
"$make" -s -C "$repo" install-ext PG_CONFIG="$pg_config" DESTDIR="$root" >"$tmp/new-build.log" 2>&1 ||
    { cat "$tmp/new-build.log"; exit 1; }
step "without a restart, the preloaded $old_version library keeps the $new_version one out"
if out=$(psql_as pgqrs_upgrade_owner updated -c 'ALTER EXTENSION pgqrs UPDATE' 2>&1); then
    echo "upgrade: the update ran with the $old_version library loaded" >&2
    exit 1
fi
grep -q "pgqrs library $new_version cannot load: another version of pgqrs is loaded" <<<"$out" ||
    { echo "upgrade: unclear error for an update without a restart: $out" >&2; exit 1; }
"$repo/scripts/pgtmp.sh" restart "$cluster"

step "before the update, the $old_version functions refuse to run on the $new_version library"
if out=$(psql_as pgqrs_upgrade_owner updated -c 'SELECT * FROM pgqrs.list_queues()' 2>&1); then
    echo "upgrade: the $old_version functions ran on the $new_version library: $out" >&2
    exit 1
fi
# 0.1.0's functions reach the loader, which says what to do; later ones name
# the library of their version, which is gone
if [ "$old_version" = 0.1.0 ]; then
    expected="version 0.1.0, the installed pgqrs library is version $new_version.*ALTER EXTENSION pgqrs UPDATE"
else
    expected="could not access file \"\\\$libdir/pgqrs-$old_version\""
fi
grep -qz -- "$expected" <<<"$out" || { echo "upgrade: unclear error before the update: $out" >&2; exit 1; }
if [ "$old_version" = 0.1.0 ]; then
    missing=$(comm -23 <(git -C "$repo" show "$old_rev:sql/pgqrs.sql" | grep -o "'pgqrs_[a-z_]*'" | tr -d "'" | sort -u) \
                       <(nm -D --defined-only "$root$("$pg_config" --pkglibdir)/pgqrs.so" | awk '{print $3}' | sort -u))
    [ -z "$missing" ] || { echo "upgrade: loader/pgqrs.c lacks the 0.1.0 functions: $missing" >&2; exit 1; }
fi

step "ALTER EXTENSION pgqrs UPDATE, then checking the data and that everything works"
psql_as pgqrs_upgrade_owner updated -c 'ALTER EXTENSION pgqrs UPDATE'
psql_as pgqrs_upgrade_owner updated -f "$here/check.sql" >/dev/null

step "comparing the updated schema with a fresh install of $new_version"
psql_as pgqrs_upgrade_owner fresh >/dev/null <<'SQL'
CREATE EXTENSION pgqrs;
SELECT pgqrs.grant_access('pgqrs_upgrade_producer', 'producer');
SELECT pgqrs.grant_access('pgqrs_upgrade_consumer', 'consumer');
SQL
psql_as postgres fresh -f "$here/describe.sql" >"$tmp/fresh.txt"
psql_as postgres updated -f "$here/describe.sql" >"$tmp/updated.txt"
if ! diff -u --label "fresh install of $new_version" --label "$old_version + ALTER EXTENSION UPDATE" \
        "$tmp/fresh.txt" "$tmp/updated.txt"; then
    echo "upgrade: the updated schema differs from a fresh install (lines above); fix sql/pgqrs--$old_version--$new_version.sql" >&2
    exit 1
fi

step "pg_dump / pg_restore of the updated database"
# as the database owner, who installed the extension (it is trusted)
"$PG_BINDIR/pg_dump" -Fc -f "$tmp/updated.dump" "$(url pgqrs_upgrade_owner updated)"
"$PG_BINDIR/pg_restore" --exit-on-error -d "$(url pgqrs_upgrade_owner restored)" "$tmp/updated.dump"
psql_as postgres restored -f "$here/describe.sql" >"$tmp/restored.txt"
diff -u --label "updated" --label "restored" "$tmp/updated.txt" "$tmp/restored.txt" ||
    { echo "upgrade: the restored schema differs (lines above)" >&2; exit 1; }
rows='SELECT tbl, id, data FROM snap.rows_now() ORDER BY 1, 2'
psql_as postgres updated -Atc "$rows" >"$tmp/updated-rows.txt"
psql_as postgres restored -Atc "$rows" >"$tmp/restored-rows.txt"
diff -u --label "updated" --label "restored" "$tmp/updated-rows.txt" "$tmp/restored-rows.txt" ||
    { echo "upgrade: the restored rows differ (lines above)" >&2; exit 1; }
psql_as pgqrs_upgrade_owner restored <<'SQL'
DO $check$
DECLARE
    last_message bigint := (SELECT max(id) FROM snap.rows_now() WHERE tbl IN ('messages', 'archive'));
    last_queue bigint := (SELECT max(id) FROM pgqrs.queues);
    message bigint;
    queue bigint;
BEGIN
    PERFORM pgqrs.verify();
    message := pgqrs.enqueue('jobs', '{"state": "after restore"}');
    ASSERT message > last_message, format('message id %s after the restore, %s before', message, last_message);
    queue := (SELECT id FROM pgqrs.create_queue('after_restore'));
    ASSERT queue > last_queue, format('queue id %s after the restore, %s before', queue, last_queue);
END
$check$;
SQL

echo "upgrade: $old_version -> $new_version passed (data, schema, dump and restore)"
