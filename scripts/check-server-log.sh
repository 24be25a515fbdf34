#!/usr/bin/env bash
# Fails when a PostgreSQL server log shows a crash: a backend terminated by a
# signal, a server process that "was terminated", a PANIC or a failed assertion.
#   scripts/check-server-log.sh LOGFILE
set -euo pipefail

log=${1:?usage: check-server-log.sh LOGFILE}
[ -r "$log" ] || { echo "check-server-log: cannot read $log" >&2; exit 2; }

pattern='terminated by signal|server process .* was terminated|PANIC|TRAP:'
if grep -nE "$pattern" "$log"; then
    echo "check-server-log: $log shows a server crash (lines above)" >&2
    exit 1
fi
echo "check-server-log: no crash in $log"
