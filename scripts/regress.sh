#!/usr/bin/env bash
# Runs the pg_regress suite (regress/sql/*.sql) or the isolation specs
# (regress/specs/*.spec) against the running server named by PGQRS_DSN.
#
#   scripts/regress.sh sql|isolation [OUTDIR]
#
# Tests run in alphabetical order in a fresh database with the extension
# created (--load-extension=pgqrs). Expected output: regress/expected/NAME.out.
# Results and regression.diffs go to OUTDIR (default build/test/<kind>); on a
# failure the diffs are printed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
kind=${1:?usage: regress.sh sql|isolation [OUTDIR]}
outdir=${2:-$repo/build/test/$kind}
dsn=${PGQRS_DSN:?PGQRS_DSN must name the server to test (scripts/pgtmp.sh start prints one)}

pgxs_dir=$(dirname "$("${PG_CONFIG:-pg_config}" --pgxs)")/..   # .../lib/pgxs/src
bindir=$("${PG_CONFIG:-pg_config}" --bindir)

case "$kind" in
    sql)       runner=$pgxs_dir/test/regress/pg_regress;
               srcdir=$repo/regress/sql;   ext=sql;  dbname=pgqrs_regress ;;
    isolation) runner=$pgxs_dir/test/isolation/pg_isolation_regress;
               srcdir=$repo/regress/specs; ext=spec; dbname=pgqrs_isolation ;;
    *) echo "regress.sh: unknown kind '$kind' (sql or isolation)" >&2; exit 2 ;;
esac

tests=()
for f in "$srcdir"/*."$ext"; do
    [ -e "$f" ] && tests+=("$(basename "$f" ."$ext")")
done
if [ ${#tests[@]} -eq 0 ]; then
    echo "regress.sh: no $kind tests in ${srcdir#"$repo"/}"
    exit 0
fi

# host, port and user from postgresql://user@host:port/db
re='^postgres(ql)?://([^@/]+@)?([^:/]+)(:([0-9]+))?(/.*)?$'
[[ $dsn =~ $re ]] || { echo "regress.sh: cannot parse PGQRS_DSN=$dsn" >&2; exit 2; }
user=${BASH_REMATCH[2]%@}
host=${BASH_REMATCH[3]}
port=${BASH_REMATCH[5]:-5432}

rm -rf "$outdir"
mkdir -p "$outdir"
args=(--inputdir="$repo/regress" --outputdir="$outdir" --bindir="$bindir"
      --host="$host" --port="$port" --dbname="$dbname" --load-extension=pgqrs)
[ -z "$user" ] || args+=(--user="${user%%:*}")

echo "regress.sh: $kind tests: ${tests[*]}"
if "$runner" "${args[@]}" "${tests[@]}"; then
    exit 0
fi
if [ -s "$outdir/regression.diffs" ]; then
    echo "===== $outdir/regression.diffs ====="
    cat "$outdir/regression.diffs"
fi
exit 1
