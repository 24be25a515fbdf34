#!/bin/sh
# Runs the complete example against the test server with a fresh queue name.
set -eu
: "${PGQRS_TEST_DSN:?PGQRS_TEST_DSN is not set}"
out=$("$1" "$PGQRS_TEST_DSN" "demo_$$_$(date +%s)")
echo "$out"
echo "$out" | grep -q '^Sent task 4: [0-9]'
echo "$out" | grep -q '^Processing: {"task": 0}'
echo "$out" | grep -q '^Done!$'
