#!/usr/bin/env bash
# The test run behind `make test` (after setup, build and install): starts a
# throwaway cluster in a temp folder, runs every suite against it, checks the
# server log for crashes, and stops the cluster even when something fails.
#
# Suites: pg_regress (regress/sql), isolation (regress/specs), the C++ client
# (`make test-client`, when client/CMakeLists.txt exists) and the Python
# package (`make test-python`, when python/pyproject.toml exists), then the
# short reliability suites (`make reliability`, their own servers), then the
# packages (`make test-packaging`: the upgrade from 0.1.0, the wheels, the
# Debian package, the PGXN zip; their own servers). They see the
# server as PGQRS_DSN (and PGHOST / PGPORT / PGUSER / PGDATABASE).
# Outputs go to build/test/ (results, regression.diffs, a copy of the server log).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
make=${MAKE:-make}
out=$repo/build/test
mkdir -p "$out"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pgqrs-test.XXXXXX")
chmod 755 "$tmp"   # the server runs as user postgres
cluster=$tmp/pg

cleanup() {
    if [ -e "$cluster/server.log" ]; then cp "$cluster/server.log" "$out/server.log"; fi
    scripts/pgtmp.sh stop "$cluster" || true
    rm -rf "$tmp"
}
trap cleanup EXIT

PGQRS_DSN=$(scripts/pgtmp.sh start "$cluster")
PGPORT=$(cat "$cluster/port")
export PGQRS_DSN PGPORT PGHOST=127.0.0.1 PGUSER=postgres PGDATABASE=postgres
# the client suites restart the server once to prove they reconnect
export PGQRS_TEST_DSN=$PGQRS_DSN
export PGQRS_TEST_RESTART_CMD="$repo/scripts/pgtmp.sh restart $cluster"
echo "test: server at $PGQRS_DSN (log: $cluster/server.log)"

passed=()
failed=()
suite() {
    local name=$1
    shift
    echo
    echo "======== $name ========"
    if "$@"; then passed+=("$name"); else failed+=("$name"); fi
}

# A component that exists must bring its test target: a missing one fails.
make_targets=$("$make" -pq -f Makefile .no-such-target 2>/dev/null || true)
component() {
    local name=$1 marker=$2 target=$3
    if [ ! -f "$marker" ]; then
        echo "test: no $marker, skipping the $name tests"
    elif grep -q "^$target:" <<<"$make_targets"; then
        suite "$name" "$make" --no-print-directory "$target"
    else
        echo "test: $marker exists but the Makefile has no target $target" >&2
        failed+=("$name")
    fi
}

suite extension-rules scripts/check-extension-rules.sh
suite regress   scripts/regress.sh sql       "$out/regress"
suite isolation scripts/regress.sh isolation "$out/isolation"
component client client/CMakeLists.txt test-client
component python python/pyproject.toml test-python
suite reliability "$make" --no-print-directory reliability
suite packaging "$make" --no-print-directory test-packaging
suite server-log scripts/check-server-log.sh "$cluster/server.log"

echo
echo "======== summary ========"
echo "passed: ${passed[*]:-none}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED: ${failed[*]} (outputs in ${out#"$repo"/}/)"
    exit 1
fi
echo "all suites passed"
