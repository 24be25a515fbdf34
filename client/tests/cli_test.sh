#!/bin/bash
# Runs the pgqrs CLI against the test server and checks output and exit codes.
set -u
: "${PGQRS_TEST_DSN:?PGQRS_TEST_DSN is not set}"
BIN=$1
export PGQRS_DSN=$PGQRS_TEST_DSN
Q="cli_$$_$(date +%s)"
failures=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# run NAME EXPECTED_RC ARGS...: runs the CLI, keeps stdout/stderr in $OUT/$ERR
run() {
    local name=$1 want=$2
    shift 2
    "$BIN" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    OUT=$(cat "$TMP/out")
    ERR=$(cat "$TMP/err")
    if [ "$rc" != "$want" ]; then
        echo "FAIL $name: exit $rc, wanted $want; stderr: $ERR"
        failures=$((failures + 1))
    fi
}
# contains NAME TEXT: fails when the last output does not contain the text
contains() {
    if ! grep -qF -- "$2" <<<"$OUT$ERR"; then
        echo "FAIL $1: output lacks '$2': $OUT $ERR"
        failures=$((failures + 1))
    fi
}
# json NAME TEXT: the same check on compact JSON output
json() {
    contains "$1" "$2"
}

run install 0 install
run verify 0 verify
contains verify ": ok"
run create 0 queue create "$Q"
contains create "$Q"
run create-dup 1 queue create "$Q"
contains create-dup "already exists"
[ "$(wc -l <<<"$ERR")" = 1 ] || { echo "FAIL create-dup: error is not one line"; failures=$((failures + 1)); }
run create-bad 1 queue create "bad name"
contains create-bad "invalid queue name"
run list 0 queue list
contains list "queue_name"
contains list "$Q"
run list-json 0 --format json queue list
json list-json "\"queue_name\":\"$Q\""
run get 0 --format json queue get "$Q"
json get "\"queue_name\":\"$Q\""
run get-missing 1 queue get "nope_$Q"
contains get-missing "does not exist"

run enqueue 0 --format json message enqueue "$Q" '{"k":1}'
json enqueue '"id":'
ID=$(sed -E 's/.*"id":([0-9]+).*/\1/' <<<"$OUT")
run enqueue-delay 0 message enqueue "$Q" '{"k":2}' --delay 3600
run enqueue-bad 1 message enqueue "$Q" '[1]'
contains enqueue-bad "JSON object"
printf '{"b":1}\n\n{"b":2}\n{"b":3}\n' >"$TMP/lines"
run batch-file 0 --format json message enqueue-batch "$Q" --file "$TMP/lines"
json batch-file '"ids":['
printf '{"s":1}\n{"s":2}\n' | "$BIN" --format json message enqueue-batch "$Q" >"$TMP/out" 2>&1
grep -q '"ids":\[' "$TMP/out" || { echo "FAIL batch-stdin: $(cat "$TMP/out")"; failures=$((failures + 1)); }
printf '{"s":1}\nnope\n' >"$TMP/bad"
run batch-bad 1 message enqueue-batch "$Q" --file "$TMP/bad"
contains batch-bad "line 2"
run count 0 --format json message count "$Q"
json count '"count":7'
run count-missing 1 message count "nope_$Q"
run get-msg 0 --format json message get "$ID"
json get-msg '"payload":{"k":1}'
run dequeue 0 --format json message dequeue "$Q" --batch 2 --lock 60
json dequeue "\"id\":$ID"
json dequeue '"read_ct":1'
run archive 0 --format json message archive "$ID"
json archive '"archived":true'
run get-archived 0 --format json message get "$ID"
json get-archived '"dead_letter":false'
run dequeue-table 0 message dequeue "$Q"
contains dequeue-table "payload"
DID=$(awk 'NR==3 {print $1}' <<<"$OUT")
run delete 0 --format json message delete "$DID"
json delete '"deleted":true'
run metrics 0 --format json queue metrics "$Q"
json metrics '"archived_messages":1'
run metrics-all 0 queue metrics
contains metrics-all "$Q"
run mlist 0 message list "$Q" --limit 2
contains mlist "read_ct"

run archive-list 0 --format json archive list "$Q"
json archive-list "\"id\":$ID"
run archive-count 0 --format json archive count "$Q"
json archive-count '"count":1'
run archive-purge 0 --format json archive purge "$Q"
json archive-purge '"purged":1'
run dlq-list 0 dlq list "$Q"
contains dlq-list "(no rows)"
run dlq-replay 0 --format json dlq replay "$Q"
json dlq-replay '"replayed":0'

run workers 0 worker list
run wstats 0 --format json worker stats "$Q"
json wstats "\"queue_name\":\"$Q\""
run whealth 0 --format json worker health
run wget-missing 1 worker get 987654321
contains wget-missing "does not exist"
run wpurge 0 --format json worker purge --older-than "1 hour"
json wpurge '"purged":'
run grant-bad 1 grant "no_role_$$" producer
run stats 0 --format json stats
json stats '"total_queues":'
run frontier 0 --format json frontier
json frontier "\"queue_name\":\"$Q\""
run frontier-reset 0 frontier reset "$Q"
contains frontier-reset "reset 1 claim frontier"
run frontier-reset-missing 1 frontier reset "no_such_queue_$$"
contains frontier-reset-missing "does not exist"

# dedup keys and topics
run enq-key 0 --format json message enqueue "$Q" '{"k":1}' --dedup-key "key-$$"
json enq-key '"inserted":true'
run enq-key-again 0 --format json message enqueue "$Q" '{"k":2}' --dedup-key "key-$$"
json enq-key-again '"inserted":false'
run window 0 --format json queue set-dedup-window "$Q" 60
json window '"dedup_window_seconds":60'
T="t_$Q"
run topic-create 0 --format json topic create "$T"
json topic-create "\"topic_name\":\"$T\""
run topic-publish-none 0 --format json topic publish "$T" '{"fan":0}'
json topic-publish-none '[]'
run topic-sub 0 --format json topic subscribe "$T" "$Q"
json topic-sub '"subscribed":true'
run topic-list 0 --format json topic list
json topic-list "\"queue_names\":[\"$Q\"]"
run topic-publish 0 --format json topic publish "$T" '{"fan":1}'
json topic-publish "\"queue_name\":\"$Q\""
run topic-publish-missing 1 topic publish "no_topic_$$" '{}'
contains topic-publish-missing "does not exist"
run topic-unsub 0 --format json topic unsubscribe "$T" "$Q"
json topic-unsub '"unsubscribed":true'
run topic-delete 0 --format json topic delete "$T"
json topic-delete '"deleted":true'

# schedules: create (a time made due by hand), run, pause, resume, delete
run sched-create 0 --format json schedule create "s_$Q" '*/5 * * * mon-fri' "$Q" '{"tick":1}' --time-zone Europe/Paris
json sched-create '"schedule_name":"s_'"$Q"'"'
run sched-bad-cron 1 schedule create "s2_$Q" '61 * * * *' "$Q" '{}'
contains sched-bad-cron 'invalid cron expression'
run sched-dup 1 schedule create "s_$Q" '@daily' "$Q" '{}'
contains sched-dup 'already exists'
run sched-list 0 --format json schedule list
contains sched-list "s_$Q"
run sched-times 0 --format json schedule times '@hourly' --count 2
contains sched-times ':00:00'
run sched-pause 0 --format json schedule pause "s_$Q"
json sched-pause '"paused":true'
run sched-resume 0 --format json schedule resume "s_$Q"
json sched-resume '"paused":false'
run sched-run 0 --format json schedule run
json sched-run '"enqueued":'
run sched-delete 0 --format json schedule delete "s_$Q"
json sched-delete '"deleted":true'
run sched-delete-missing 1 schedule delete "s_$Q"
contains sched-delete-missing 'does not exist'

# retries: a policy, a release with the error kept, the dead letter showing it
R="${Q}_retry"
run retry-create 0 queue create "$R" --max-attempts 1
run retry-policy 0 --format json queue set-retry-policy "$R" exponential --delay 2 --max-delay 60 --jitter 0.5
json retry-policy '"retry_backoff":"exponential"'
json retry-policy '"retry_max_delay_seconds":60'
run retry-policy-bad 1 queue set-retry-policy "$R" exponential --delay 10 --max-delay 5
contains retry-policy-bad "must not be less than"
run retry-policy-missing 1 queue set-retry-policy "nope_$R" fixed --delay 1
run retry-enqueue 0 --format json message enqueue "$R" '{"r":1}'
RID=$(grep -o '[0-9]*' <<<"$OUT")
run retry-dequeue 0 --format json message dequeue "$R" --lock 60
run retry-release 0 --format json message release "$RID" --delay 0 --error "it broke"
json retry-release '"released":true'
run retry-get 0 --format json message get "$RID"
json retry-get '"last_error":"it broke"'
json retry-get '"retry_at":"'
run retry-release-bad 1 message release "$RID" --delay -1
run retry-bury 0 --format json message dequeue "$R"
run retry-dlq 0 --format json dlq list "$R"
json retry-dlq '"last_error":"it broke"'
run retry-metrics 0 --format json queue metrics "$R"
json retry-metrics '"retrying_messages":0'
run retry-delete 0 queue delete "$R"

# priorities and ordered groups
P="${Q}_prio"
run prio-create 0 queue create "$P"
run prio-low 0 --format json message enqueue "$P" '{"p":0}'
LOW=$(grep -o '[0-9]*' <<<"$OUT")
run prio-high 0 --format json message enqueue "$P" '{"p":9}' --priority 9
run prio-bad 1 message enqueue "$P" '{}' --priority 10
contains prio-bad "priority must be between 0 and 9"
run group-bad 1 message enqueue "$P" '{}' --group-key ''
contains group-bad "SQLSTATE 22023"
run prio-dedup 0 --format json message enqueue "$P" '{"p":2}' --dedup-key "pk-$$" --priority 2
json prio-dedup '"inserted":true'
printf '{"g":1}\n{"g":2}\n' >"$TMP/group"
run group-batch 0 --format json message enqueue-batch "$P" --file "$TMP/group" --group-key g --priority 3
G2=$(sed -E 's/.*,([0-9]+)\].*/\1/' <<<"$OUT")
run group-get 0 --format json message get "$G2"
json group-get '"priority":3,"group_key":"g","held_vt":"'
run prio-metrics 0 --format json queue metrics "$P"
json prio-metrics '"held_messages":1,"groups":1,"pending_by_priority":{"0":1,"2":1,"3":1,"9":1}'
run prio-set 0 --format json message set-priority "$LOW" 9
json prio-set '"updated":true'
run prio-set-bad 1 message set-priority "$LOW" 11
contains prio-set-bad "priority must be between 0 and 9"
run prio-first 0 --format json message dequeue "$P"
json prio-first "[{\"id\":$LOW,"
json prio-first '"priority":9'
run prio-set-leased 0 --format json message set-priority "$LOW" 0
json prio-set-leased '"updated":false'
run prio-delete 0 queue delete "$P" --force

run purge 0 --format json queue purge "$Q"
json purge '"purged":'
run delete-q 0 --format json queue delete "$Q"
json delete-q '"deleted":true'
run no-cmd 2
run bad-format 2 --format xml queue list
run no-dsn 1 --dsn "host=127.0.0.1 port=1 connect_timeout=2" queue list
[ "$(wc -l <<<"$ERR")" = 1 ] || { echo "FAIL no-dsn: error is not one line: $ERR"; failures=$((failures + 1)); }

if [ "$failures" -ne 0 ]; then
    echo "$failures CLI check(s) failed"
    exit 1
fi
echo "CLI checks passed"
