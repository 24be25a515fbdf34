#!/usr/bin/env bash
# `make deb`: the Debian package of the extension, postgresql-15-pgqrs_<version>_amd64.deb
# in dist/, built the Debian way (debian/: dh with pg_buildext, one build per
# PostgreSQL version in debian/pgversions) from a copy of the source tree.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=$repo/dist
work=$repo/build/deb
version=$(cd "$repo" && dpkg-parsechangelog -S Version)
src=$work/pgqrs-${version%-*}

# debian/rules is a make of its own: nothing of a calling make may reach it;
# and the build's test cluster (pg_virtualenv) must not take the port of a
# server named in PGPORT (make test exports it)
unset MAKEFLAGS MFLAGS MAKELEVEL PGPORT PGHOST PGUSER PGDATABASE

rm -rf "$work"
mkdir -p "$src" "$out"
# the files git knows (tracked, or new and not ignored), so no build leftovers
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - --) |
    tar -xf - -C "$src"

echo "deb: building $version in ${src#"$repo"/} (log: ${work#"$repo"/}/build.log)"
(cd "$src" && DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
    dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1 ||
    { tail -n 40 "$work/build.log"; echo "deb: build failed (log: $work/build.log)" >&2; exit 1; }

rm -f "$out"/postgresql-*-pgqrs_*.deb
mv "$work"/postgresql-*-pgqrs_"$version"_*.deb "$out"/
ls -l "$out"/postgresql-*-pgqrs_*.deb
