#!/usr/bin/env bash
# Tests the Python distributions in dist/python (make wheel):
#  - each wheel carries libpq, and auditwheel show finds it consistent with
#    the manylinux tag in its name (nothing outside that policy is needed);
#  - for each CPython in PGQRS_WHEEL_PYTHONS (default 3.11 3.12 3.13), pip and
#    uv (the one from PyPI, in .venv) install it into a fresh venv, and the
#    seed's complete example (examples/complete_example.py) runs from it
#    against a throwaway server; both with no compiler, C header, CMake or
#    system libpq in reach (sealed.sh).
# The server needs the extension installed (make install-ext).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
here=$repo/tests/packaging
dist=$repo/dist/python
tools=$repo/.venv/bin
pythons=${PGQRS_WHEEL_PYTHONS:-3.11 3.12 3.13}
export UV_PYTHON_DOWNLOADS=never

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pgqrs-wheel.XXXXXX")
chmod 755 "$tmp"
export UV_CACHE_DIR=$tmp/uv-cache PIP_CACHE_DIR=$tmp/pip-cache
cleanup() {
    "$repo/scripts/pgtmp.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

for wheel in "$dist"/*.whl; do
    name=$(basename "$wheel")
    tag=${name##*-}
    tag=${tag%.whl}
    # a listing first: grep -q ending a pipe early would fail it (pipefail)
    files=$(unzip -Z1 "$wheel")
    grep -q '\.libs/libpq-[0-9a-f]*\.so' <<<"$files" ||
        { echo "wheel: $name carries no libpq" >&2; exit 1; }
    report=$("$tools/auditwheel" show "$wheel" | tr -s ' \n' '  ')
    grep -q "is consistent with the following platform tag: \"$tag\"" <<<"$report" ||
        { echo "wheel: auditwheel show on $name: $report" >&2; exit 1; }
    echo "wheel: $name: libpq inside, consistent with $tag"
done

"$repo/scripts/pgtmp.sh" start "$tmp/pg" >/dev/null
port=$(cat "$tmp/pg/port")

pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
for version in $pythons; do
    python=$(ls -d "$pyenv_root"/versions/"$version".*/bin/python 2>/dev/null | sort -V | tail -n 1)
    [ -n "$python" ] || { echo "wheel: no CPython $version under $pyenv_root/versions" >&2; exit 1; }
    for installer in pip uv; do
        venv=$tmp/venv-$installer-$version
        case $installer in
            pip)
                "$python" -m venv "$venv"
                "$here/sealed.sh" "$venv/bin/pip" install --quiet --disable-pip-version-check \
                    --no-index --only-binary :all: --find-links "$dist" pgqrs-ext ;;
            uv)
                "$tools/uv" venv --quiet --python "$python" "$venv"
                "$here/sealed.sh" "$tools/uv" pip install --quiet --python "$venv/bin/python" \
                    --no-index --only-binary :all: --find-links "$dist" pgqrs-ext ;;
        esac
        db=example_${installer}_${version/./_}
        psql -X -q "postgresql://postgres@127.0.0.1:$port/postgres" -c "CREATE DATABASE $db"
        # from the temporary folder, so that nothing of the checkout is imported
        output=$(cd "$tmp" && "$here/sealed.sh" env PGQRS_DSN="postgresql://postgres@127.0.0.1:$port/$db" \
            "$venv/bin/python" "$repo/examples/complete_example.py")
        grep -q '^Processing: ' <<<"$output" && [ "$(tail -n 1 <<<"$output")" = "Done!" ] ||
            { echo "wheel: the example with $installer on $version printed:"; echo "$output"; exit 1; } >&2
        where=$("$venv/bin/python" -c 'import pgqrs._core; print(pgqrs._core.__file__)')
        [[ $where == "$venv"/* ]] || { echo "wheel: pgqrs._core came from $where" >&2; exit 1; }
        echo "wheel: $installer install on CPython $version, complete example: ok"
    done
done
