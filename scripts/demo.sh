#!/usr/bin/env bash
# The demo behind `make demo`: the SQL quick start (scripts/demo.sql, with
# psql), then the Python "Complete Example" (examples/complete_example.py) on
# PGQRS_DSN when it is set, else on a throwaway cluster started (and stopped)
# here. The extension must be installed (make install-ext) and the venv made
# (make setup).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

if [ -z "${PGQRS_DSN:-}" ]; then
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/pgqrs-demo.XXXXXX")
    chmod 755 "$tmp"   # the server runs as user postgres
    trap 'scripts/pgtmp.sh stop "$tmp/pg" || true; rm -rf "$tmp"' EXIT
    PGQRS_DSN=$(scripts/pgtmp.sh start "$tmp/pg")
    echo "demo: throwaway server at $PGQRS_DSN"
fi

psql "$PGQRS_DSN" -X -v ON_ERROR_STOP=1 -f scripts/demo.sql

echo
echo "== the Python complete example (examples/complete_example.py)"
.venv/bin/pip install --quiet ./python
# the example creates queue "demo": start from a clean one
psql "$PGQRS_DSN" -X -q -c "SELECT pgqrs.delete_queue('demo', true) FROM pgqrs.list_queues() WHERE queue_name = 'demo'" >/dev/null
PGQRS_DSN=$PGQRS_DSN .venv/bin/python examples/complete_example.py
