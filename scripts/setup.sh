#!/usr/bin/env bash
# Installs everything pgqrs needs on a Debian 12 machine: the Debian packages
# (PostgreSQL 15 and its server headers, the C++ toolchain and libraries) and a
# Python virtual environment at .venv with the development tools.
# Safe to run again: it only does the work that is missing.
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)

debian_packages=(
    postgresql-15 postgresql-server-dev-15 postgresql-contrib libpq-dev
    g++ make cmake ninja-build pkg-config
    googletest libgtest-dev nlohmann-json3-dev libcli11-dev
    postgresql-15-pgq3
    postgresql-server-dev-all debhelper fakeroot dpkg-dev unzip
)

# --- Debian packages -------------------------------------------------------
missing=()
for pkg in "${debian_packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    echo "setup: Debian packages present"
fi

# --- PGXN META.json validator (make dist) ----------------------------------
# pgxn_meta is PGXN's own validator of the meta spec, published as a crate.
if command -v pgxn_meta >/dev/null 2>&1 || [ -x "$HOME/.cargo/bin/pgxn_meta" ]; then
    echo "setup: pgxn_meta present"
else
    echo "setup: installing pgxn_meta (cargo)"
    cargo install --quiet --locked pgxn_meta
fi

# --- Python virtual environment ---------------------------------------------
# One interpreter for the whole project: the python3 on PATH (pyenv), in a venv.
python=${PYTHON:-python3}
venv="$repo/.venv"
requirements="$repo/scripts/requirements-dev.txt"
stamp="$venv/.pgqrs-setup-stamp"

# The stamp records the interpreter and the requirements it was made from.
want_stamp="$("$python" -c 'import sys; print(sys.version.split()[0])') $(sha256sum "$requirements" | cut -d' ' -f1)"

if [ -f "$stamp" ] && [ -x "$venv/bin/python" ] && [ "$(cat "$stamp")" = "$want_stamp" ]; then
    echo "setup: .venv up to date"
else
    if [ ! -x "$venv/bin/python" ]; then
        echo "setup: creating .venv with $(command -v "$python")"
        "$python" -m venv "$venv"
    fi
    echo "setup: installing Python dev requirements into .venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q -r "$requirements"
    echo "$want_stamp" > "$stamp"
fi
