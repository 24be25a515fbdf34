#!/usr/bin/env bash
# SQL-layer benchmark (make bench-sql): pgbench -M prepared against pgqrs and
# against bare SQL on tables of the same shape, on one server in one run, for
# 1 and 4 clients with synchronous_commit on and off. Prints msg/s and the
# ratios enqueue / bare insert and drain / bare drain; then publish to 10
# subscribed queues against 10 enqueues in one statement, enqueue with a
# fresh dedup key against plain enqueue, and a schedule catching up 1,000
# missed times in one call against enqueue_batch. Priorities and groups:
# enqueue with a random priority 0..9 against plain enqueue, and the drain of
# a backlog spread over 1,000 ordered groups, or with priorities 0..9 mixed,
# against the same drain of a plain backlog.
#
# Environment:
#   PGQRS_DSN       server to use (default: a throwaway cluster started here)
#   BENCH_SECONDS   seconds per cell (default 5)
#   BENCH_CLIENTS   client counts (default "1 4")
#   BENCH_SYNC      synchronous_commit values (default "on off")
#   BENCH_BATCHES   drain batch sizes (default "1 50")
#   BENCH_BACKLOG   messages waiting before each drain cell (default 60000 per second of a cell)
#   BENCH_PG_OPTS   server options of the throwaway cluster
#   BENCH_CELLS     workloads to run (default all): select1 enqueue publish dedup
#                   enqueue+prio drain schedule drain+retry drain+groups drain+prio
# pgbench logs and a TSV of the results go to build/bench/sql/. On PGQRS_DSN
# the run makes queue 'bench' and schema bench_bare, and drops both at the end.
set -euo pipefail
shopt -s inherit_errexit   # failures inside $(...) stop the run too

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$here"

seconds=${BENCH_SECONDS:-5}
clients_list=${BENCH_CLIENTS:-1 4}
sync_list=${BENCH_SYNC:-on off}
batch_list=${BENCH_BATCHES:-1 50}
backlog=${BENCH_BACKLOG:-$((60000 * seconds))}
pg_opts=${BENCH_PG_OPTS:--c shared_buffers=512MB -c max_wal_size=4GB}
cells=${BENCH_CELLS:-}
out=$repo/build/bench/sql
rm -rf "$out"
mkdir -p "$out"
bindir=$("${PG_CONFIG:-pg_config}" --bindir)

# the ~60-byte payload of the enqueue scripts, for filling backlogs
payload=$(sed -n "s/.*'\({.*}\)'::jsonb.*/\1/p" enqueue.sql)

# --- server -------------------------------------------------------------------
dsn=${PGQRS_DSN:-}
own_cluster=
if [ -z "$dsn" ]; then
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/pgqrs-bench.XXXXXX")
    chmod 755 "$tmp"   # the server runs as user postgres
    own_cluster=$tmp/pg
    dsn=$(PGQRS_PG_OPTS="$pg_opts" "$repo/scripts/pgtmp.sh" start "$own_cluster")
fi
cleanup() {
    if [ -n "$own_cluster" ]; then
        "$repo/scripts/pgtmp.sh" stop "$own_cluster" >/dev/null 2>&1 || true
        rm -rf "$tmp"
    else
        psql "$dsn" -X -q -o /dev/null -f teardown.sql || true
    fi
}
trap cleanup EXIT

sql() { psql "$dsn" -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }

psql "$dsn" -X -q -o /dev/null -v ON_ERROR_STOP=1 -f setup.sql
queue_id=$(sql "SELECT id FROM pgqrs.get_queue('bench')")
retry_queue_id=$(sql "SELECT id FROM pgqrs.get_queue('bench_retry')")
groups_queue_id=$(sql "SELECT id FROM pgqrs.get_queue('bench_groups')")
prio_queue_id=$(sql "SELECT id FROM pgqrs.get_queue('bench_prio')")

# --- helpers ------------------------------------------------------------------
# Before each cell: vacuum what the last cell left and checkpoint (ignored
# where the role may not), so that cells start alike.
settle() {
    sql "VACUUM ANALYZE pgqrs.messages, pgqrs.archive, bench_bare.messages, bench_bare.archive" || true
    sql "CHECKPOINT" 2>/dev/null || true
}

# Tops the backlogs up to $backlog visible messages (enqueue_batch takes at most 10000):
# of the pgqrs queue NAME with id ID (default 'bench'), and of the bare table.
fill() {
    local name=${1:-bench} id=${2:-$queue_id} have n
    have=$(sql "SELECT count(*) FROM pgqrs.messages WHERE queue_id = $id AND vt <= now()")
    while [ "$have" -lt "$backlog" ]; do
        n=$(( backlog - have < 10000 ? backlog - have : 10000 ))
        sql "SELECT count(*) FROM pgqrs.enqueue_batch('$name',
                 (SELECT array_agg('$payload'::jsonb) FROM generate_series(1, $n)))" >/dev/null
        have=$((have + n))
    done
    have=$(sql "SELECT count(*) FROM bench_bare.messages WHERE queue_id = 1 AND vt <= now()")
    if [ "$have" -lt "$backlog" ]; then
        sql "INSERT INTO bench_bare.messages (queue_id, payload, vt)
             SELECT 1, '$payload'::jsonb, now() FROM generate_series(1, $((backlog - have)))"
    fi
}

# Tops the backlog of queue NAME (id ID) up to $backlog messages, held ones
# (behind their group's head) included, enqueued with the enqueue_batch
# argument ARG (priorities or group_keys) of message i given by the SQL EXPR.
fill_shaped() {
    local name=$1 id=$2 arg=$3 expr=$4 have n
    have=$(sql "SELECT count(*) FROM pgqrs.messages WHERE queue_id = $id")
    while [ "$have" -lt "$backlog" ]; do
        n=$(( backlog - have < 10000 ? backlog - have : 10000 ))
        sql "SELECT count(*) FROM pgqrs.enqueue_batch('$name',
                 (SELECT array_agg('$payload'::jsonb) FROM generate_series(1, $n)),
                 $arg => (SELECT array_agg($expr ORDER BY i) FROM generate_series($have + 1, $have + $n) i))" \
            >/dev/null
        have=$((have + n))
    done
}

# pgbench SCRIPT CLIENTS SYNC [BATCH] -> "tps transactions" (log in $out)
pgbench_run() {
    local script=$1 clients=$2 sync=$3 batch=${4:-1}
    local log=$out/${script%.sql}-b$batch-c$clients-sync_$sync.log
    local threads=$(( clients < 2 ? clients : 2 ))
    PGOPTIONS="-c synchronous_commit=$sync" \
        "$bindir/pgbench" -M prepared -n -T "$seconds" -c "$clients" -j "$threads" \
        -D "batch=$batch" -D queue=bench -f "$script" "$dsn" >"$log" 2>&1 ||
        { cat "$log" >&2; echo "bench: pgbench failed ($script)" >&2; return 1; }
    local tps xacts
    tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$log" | tail -n 1)
    xacts=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$log")
    echo "${tps:-0} ${xacts:-0}"
}

count() { sql "SELECT count(*) FROM $1"; }

# want WORKLOAD: whether BENCH_CELLS (empty: every workload) names it
want() { [ -z "$cells" ] || [[ " $cells " == *" $1 "* ]]; }

results=$out/results.tsv
printf 'workload\tbatch\tclients\tsync\tpgqrs_msgs\tbare_msgs\tnote\n' >"$results"
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$results"; }
progress() { echo "bench: $*" >&2; }

# --- cells ----------------------------------------------------------------------
for clients in $clients_list; do
    want select1 || break
    settle
    progress "select 1, $clients clients"
    res=$(pgbench_run select1.sql "$clients" on)
    record "select 1" 1 "$clients" on "${res% *}" "" ""
done

for sync in $sync_list; do
    for clients in $clients_list; do
        want enqueue || break 2
        settle
        progress "enqueue, $clients clients, synchronous_commit=$sync"
        pgqrs=$(pgbench_run enqueue.sql "$clients" "$sync")
        settle
        bare=$(pgbench_run bare_insert.sql "$clients" "$sync")
        record enqueue 1 "$clients" "$sync" "${pgqrs% *}" "${bare% *}" ""
    done
done

# publish: msg/s of one publish to 10 queues vs 10 enqueues in one statement;
# dedup: enqueue with a fresh key vs plain enqueue (its "bare" column)
for sync in $sync_list; do
    for clients in $clients_list; do
        if want publish; then
            settle
            progress "publish to 10 queues, $clients clients, synchronous_commit=$sync"
            pub=$(pgbench_run publish.sql "$clients" "$sync")
            settle
            ten=$(pgbench_run enqueue_10.sql "$clients" "$sync")
            record publish 10 "$clients" "$sync" "$(awk -v t="${pub% *}" 'BEGIN { print t * 10 }')" \
                "$(awk -v t="${ten% *}" 'BEGIN { print t * 10 }')" "vs 10 enqueues in one statement"
        fi
        if want dedup; then
            settle
            progress "enqueue with a dedup key, $clients clients, synchronous_commit=$sync"
            keyed=$(pgbench_run enqueue_dedup.sql "$clients" "$sync")
            settle
            plain=$(pgbench_run enqueue.sql "$clients" "$sync")
            record dedup 1 "$clients" "$sync" "${keyed% *}" "${plain% *}" "vs plain enqueue"
        fi
        if want enqueue+prio; then
            settle
            progress "enqueue with a priority, $clients clients, synchronous_commit=$sync"
            prio=$(pgbench_run enqueue_priority.sql "$clients" "$sync")
            settle
            plain=$(pgbench_run enqueue.sql "$clients" "$sync")
            record enqueue+prio 1 "$clients" "$sync" "${prio% *}" "${plain% *}" "vs plain enqueue"
        fi
    done
done

# msg/s of a drain: transactions/s times the messages archived per transaction,
# then "exhausted" when the backlog ran out before the end (the rate is then low)
drain_rate() {
    local script=$1 clients=$2 sync=$3 batch=$4 archive=$5 messages=$6
    local before after res tps xacts left
    before=$(count "$archive")
    res=$(pgbench_run "$script" "$clients" "$sync" "$batch")
    read -r tps xacts <<<"$res"
    after=$(count "$archive")
    left=$(sql "SELECT count(*) FROM $messages AND vt <= now()")
    awk -v t="$tps" -v x="$xacts" -v n="$((after - before))" \
        'BEGIN { printf "%.1f", (x > 0 ? t * n / x : 0) }'
    if [ "$left" -gt 0 ]; then echo; else echo " exhausted"; fi
}

for batch in $batch_list; do
    for sync in $sync_list; do
        for clients in $clients_list; do
            want drain || break 3
            if [ "$batch" -eq 1 ]; then s=drain_1.sql b=bare_drain_1.sql
            else s=drain_batch.sql b=bare_drain_batch.sql; fi
            progress "drain batch $batch, $clients clients, synchronous_commit=$sync"
            fill; settle
            pgqrs=$(drain_rate "$s" "$clients" "$sync" "$batch" pgqrs.archive \
                    "pgqrs.messages WHERE queue_id = $queue_id")
            settle
            bare=$(drain_rate "$b" "$clients" "$sync" "$batch" bench_bare.archive \
                   "bench_bare.messages WHERE queue_id = 1")
            note=
            case "$pgqrs $bare" in *exhausted*)
                note="backlog ran out"
                progress "WARNING: the backlog ran out before the end of the cell; raise BENCH_BACKLOG" ;;
            esac
            record drain "$batch" "$clients" "$sync" "${pgqrs%% *}" "${bare%% *}" "$note"
        done
    done
done

# a schedule catching up 1,000 missed minutes in one run_due_schedules call,
# against the same 1,000 messages in one enqueue_batch call
for sync in $sync_list; do
    want schedule || break
    settle
    progress "schedule catch-up, 1000 times per call, synchronous_commit=$sync"
    sched=$(pgbench_run schedule_catchup.sql 1 "$sync" 1000)
    settle
    batch=$(pgbench_run enqueue_batch.sql 1 "$sync" 1000)
    record schedule 1000 1 "$sync" "$(awk -v t="${sched% *}" 'BEGIN { print t * 1000 }')" \
        "$(awk -v t="${batch% *}" 'BEGIN { print t * 1000 }')" ""
done

# the batch-1 drain again on a queue with a retry policy, against the same bare drain
for clients in $clients_list; do
    want drain+retry || break
    progress "drain batch 1 with a retry policy, $clients clients, synchronous_commit=on"
    fill bench_retry "$retry_queue_id"; settle
    pgqrs=$(drain_rate drain_1_retry.sql "$clients" on 1 pgqrs.archive \
            "pgqrs.messages WHERE queue_id = $retry_queue_id")
    settle
    bare=$(drain_rate bare_drain_1.sql "$clients" on 1 bench_bare.archive \
           "bench_bare.messages WHERE queue_id = 1")
    note=
    case "$pgqrs $bare" in *exhausted*) note="backlog ran out" ;; esac
    record "drain+retry" 1 "$clients" on "${pgqrs%% *}" "${bare%% *}" "$note"
done

# the drain of a backlog spread over 1,000 ordered groups, and of one with
# priorities 0..9 mixed, each against the same drain of a plain backlog
for batch in $batch_list; do
    for clients in $clients_list; do
        if [ "$batch" -eq 1 ]; then s=drain_1.sql g=drain_groups_1.sql p=drain_prio_1.sql
        else s=drain_batch.sql g=drain_groups_batch.sql p=drain_prio_batch.sql; fi
        if want drain+groups; then
            progress "drain batch $batch over 1000 groups, $clients clients, synchronous_commit=on"
            fill_shaped bench_groups "$groups_queue_id" group_keys "'g' || i % 1000"; settle
            grouped=$(drain_rate "$g" "$clients" on "$batch" pgqrs.archive \
                      "pgqrs.messages WHERE queue_id = $groups_queue_id")
            fill; settle
            plain=$(drain_rate "$s" "$clients" on "$batch" pgqrs.archive \
                    "pgqrs.messages WHERE queue_id = $queue_id")
            note=
            case "$grouped $plain" in *exhausted*) note="backlog ran out" ;; esac
            record drain+groups "$batch" "$clients" on "${grouped%% *}" "${plain%% *}" "$note"
        fi
        if want drain+prio; then
            progress "drain batch $batch with priorities 0..9, $clients clients, synchronous_commit=on"
            fill_shaped bench_prio "$prio_queue_id" priorities "i % 10"; settle
            prio=$(drain_rate "$p" "$clients" on "$batch" pgqrs.archive \
                   "pgqrs.messages WHERE queue_id = $prio_queue_id")
            fill; settle
            plain=$(drain_rate "$s" "$clients" on "$batch" pgqrs.archive \
                    "pgqrs.messages WHERE queue_id = $queue_id")
            note=
            case "$prio $plain" in *exhausted*) note="backlog ran out" ;; esac
            record drain+prio "$batch" "$clients" on "${prio%% *}" "${plain%% *}" "$note"
        fi
    done
done

# --- report ---------------------------------------------------------------------
echo
echo "pgqrs SQL layer: pgbench -M prepared, $seconds s per cell, payload ${#payload} B, $(sql 'SHOW server_version')"
[ -z "$own_cluster" ] || echo "throwaway server: $pg_opts"
echo "enqueue: pgqrs.enqueue vs bare INSERT ... RETURNING id;" \
     "drain: pgqrs.dequeue + archive vs bare claim (SKIP LOCKED) + move;" \
     "schedule: run_due_schedules catching up 1,000 times vs enqueue_batch of 1,000;" \
     "drain+retry: the same drain on a queue with a retry policy;" \
     "drain+groups / drain+prio: the drain of a backlog over 1,000 ordered groups / with priorities 0..9"
echo
awk -F'\t' 'NR == 1 { next }
    BEGIN { printf "%-12s %5s %7s %4s %12s %12s %8s\n", "workload", "batch", "clients", "sync",
                   "pgqrs msg/s", "bare msg/s", "ratio" }
    {
        ratio = ($6 > 0) ? sprintf("%.2f", $5 / $6) : "-"
        bare = ($6 == "") ? "-" : sprintf("%.0f", $6)
        if ($7 == "backlog ran out") { ratio = ratio " *"; starred = 1 }
        printf "%-12s %5s %7s %4s %12.0f %12s %8s\n", $1, $2, $3, $4, $5, bare, ratio
    }
    END { if (starred) print "* the backlog ran out during the cell: rates too low, raise BENCH_BACKLOG" }' "$results"
echo
echo "ratio = pgqrs / bare SQL on tables of the same shape (1.00 = no overhead); publish: publish to 10" \
     "queues / 10 enqueues in one statement; dedup: enqueue with a dedup key / plain enqueue;" \
     "enqueue+prio: enqueue with a priority / plain enqueue; drain+groups, drain+prio: the drain /" \
     "the same drain of a plain backlog; results: ${results#"$repo"/}"
