#!/usr/bin/env bash
# Checks the rules of C++ inside PostgreSQL that the compiler cannot
# (docs/ENGINEERING rules, extension/guard.hpp), on extension/*.cpp|hpp with
# comments and string literals removed:
#   - only guard.* may use the C++ standard library, exceptions or try/catch:
#     everywhere else an ereport may longjmp over the code, so nothing in it
#     may own a destructor (no std::, no #include <...>, no new, no throw);
#   - only spi.* and results.* may run statements or read SPI results: every
#     other file goes through exec(), value() and the result builders, which
#     check the rows they read.
# and, on the SQL in them:
#   - an optional filter of messages by worker or queue (`$n IS NULL OR
#     m.consumer_worker_id = ...`, `... OR m.queue_id = ANY ...`) is written
#     with by_id.hpp (HELD_BY, IN_QUEUES): the indexable form lets a planner
#     misled by a pinned horizon walk every old lease instead of the ids.
# Prints each offending line and exits 1 when there is one.
set -euo pipefail
cd "$(dirname "$0")/../extension"

strip() {  # file -> its lines, numbered, without // comments and "strings"
    sed -E 's@//.*$@@; s@"([^"\\]|\\.)*"@""@g' "$1" | grep -n '' || true
}

status=0
offend() {
    echo "check-extension-rules: extension/$1:$2: $3" >&2
    status=1
}

for f in *.cpp *.hpp; do
    case $f in guard.cpp|guard.hpp) continue ;; esac
    while IFS=: read -r line text; do
        if grep -qE '#include[[:space:]]*<|std::|\bnew\b|\bthrow\b|\btry\b|\bcatch\b' <<<"$text"; then
            offend "$f" "$line" "C++ library or exceptions outside guard.*: $text"
        fi
        case $f in spi.cpp|spi.hpp|results.cpp|results.hpp) continue ;; esac
        if grep -qE '\bSPI_[a-z_]+' <<<"$text"; then
            offend "$f" "$line" "SPI used directly, not through spi.hpp / results.hpp: $text"
        fi
    done < <(strip "$f")
done

while IFS=: read -r f line text; do
    [ "$f" = by_id.hpp ] && continue
    offend "$f" "$line" "indexable optional filter of messages; use HELD_BY / IN_QUEUES (by_id.hpp): $text"
done < <(grep -nE 'IS NULL OR m\.(consumer_worker_id|queue_id) = ' -- *.cpp *.hpp || true)

[ $status -eq 0 ] && echo "check-extension-rules: extension/ follows the rules"
exit $status
