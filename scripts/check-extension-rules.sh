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

[ $status -eq 0 ] && echo "check-extension-rules: extension/ follows the rules"
exit $status
