#!/usr/bin/env bash
# Tests the PGXN distribution (make dist): META.json validates against the PGXN
# meta spec (pgxn_meta, PGXN's own validator), every file naming the version
# agrees with it, the zip holds the release under pgqrs-<version>/, and the
# extension builds and installs from the unpacked zip with PGXS alone.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
pg_config=${PG_CONFIG:-pg_config}
validator=$(command -v pgxn_meta || echo "$HOME/.cargo/bin/pgxn_meta")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pgqrs-dist.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "dist: $*" >&2; exit 1; }

version=$(sed -nE "s/^default_version = '(.*)'/\1/p" "$repo/pgqrs.control")
zip=$repo/dist/pgqrs-$version.zip
[ -f "$zip" ] || fail "no $zip (make dist)"
unzip -q "$zip" -d "$tmp"
top=$tmp/pgqrs-$version
[ -f "$top/META.json" ] || fail "the zip has no pgqrs-$version/META.json"

"$validator" "$top/META.json"

# the one version, wherever it is written
meta_versions=$(python3 -c 'import json, sys
m = json.load(open(sys.argv[1]))
print(m["version"], *(p["version"] for p in m["provides"].values()))' "$top/META.json")
for v in $meta_versions \
         "$(sed -nE 's/^version = "(.*)"/\1/p' "$repo/python/pyproject.toml")" \
         "$(sed -nE 's/^__version__ = "(.*)"/\1/p' "$repo/python/src/pgqrs/__init__.py")" \
         "$(cd "$repo" && dpkg-parsechangelog -S Version | sed 's/-[^-]*$//')" \
         "$(sed -nE 's/^## ([0-9.]+).*/\1/p' "$repo/CHANGELOG.md" | head -n 1)"; do
    [ "$v" = "$version" ] || fail "version $v somewhere, $version in pgqrs.control"
done
grep -q "^module_pathname = '\$libdir/pgqrs-$version'$" "$repo/pgqrs.control" ||
    fail "module_pathname in pgqrs.control does not name pgqrs-$version"
ls "$repo"/sql/pgqrs--*--"$version".sql >/dev/null 2>&1 || fail "no upgrade script to $version in sql/"
python3 -c 'import json, os, sys
m = json.load(open(sys.argv[1]))
missing = [p["file"] for p in m["provides"].values() if not os.path.exists(os.path.join(sys.argv[2], p["file"]))]
sys.exit("dist: META.json names missing files: %s" % missing if missing else 0)' "$top/META.json" "$top"

# what a PGXN client does: make, make install (here into a scratch folder)
make -s -C "$top" PG_CONFIG="$pg_config" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; fail "build failed"; }
make -s -C "$top" install PG_CONFIG="$pg_config" DESTDIR="$tmp/root" >>"$tmp/build.log" 2>&1 ||
    { cat "$tmp/build.log"; fail "install failed"; }
for file in "$("$pg_config" --pkglibdir)/pgqrs.so" "$("$pg_config" --pkglibdir)/pgqrs-$version.so" \
            "$("$pg_config" --sharedir)/extension/pgqrs--$version.sql"; do
    [ -f "$tmp/root$file" ] || fail "make install from the zip did not install $file"
done
echo "dist: $(basename "$zip"): META.json valid, versions agree, builds and installs with PGXS"
