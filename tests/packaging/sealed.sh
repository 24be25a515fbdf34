#!/usr/bin/env bash
# sealed.sh COMMAND...: runs COMMAND where no C or C++ compiler, no C header,
# no CMake and no system libpq can be reached, as on a machine without them:
# in a private mount namespace (unshare, as root), /usr/include is an empty
# tmpfs and those programs and libraries are covered by /dev/null.
set -euo pipefail

if [ -z "${PGQRS_SEALED:-}" ]; then
    exec env PGQRS_SEALED=1 unshare --mount --propagation private -- "$0" "$@"
fi

mount -t tmpfs -o ro none /usr/include
for path in /usr/bin/cc /usr/bin/c++ /usr/bin/gcc /usr/bin/g++ /usr/bin/cpp /usr/bin/clang \
            /usr/bin/cmake /usr/bin/ninja /usr/bin/pg_config /usr/lib/x86_64-linux-gnu/libpq.so.5; do
    [ -e "$path" ] && mount --bind /dev/null "$(readlink -f "$path")"
done
exec "$@"
