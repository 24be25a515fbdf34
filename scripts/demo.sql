-- pgqrs SQL quick start: a queue round trip in plain SQL.
--   psql "$PGQRS_DSN" -v ON_ERROR_STOP=1 -f scripts/demo.sql   (or: make demo)
\set QUIET on
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgqrs;

-- start from a clean 'sql_demo' queue (a second run on the same server works too)
DO $$
BEGIN
    PERFORM pgqrs.delete_queue(queue_name, true)
    FROM pgqrs.list_queues() WHERE queue_name = 'sql_demo';
END
$$;

\echo '== create a queue'
SELECT id, queue_name, max_attempts FROM pgqrs.create_queue('sql_demo');

\echo '== enqueue 3 messages (each call returns the message id)'
SELECT pgqrs.enqueue('sql_demo', '{"task": 1}') AS msg_id;
SELECT pgqrs.enqueue('sql_demo', '{"task": 2}') AS msg_id;
SELECT pgqrs.enqueue('sql_demo', '{"task": 3}') AS msg_id;

\echo '== dequeue 2, leased for 30 seconds (invisible to other consumers meanwhile)'
CREATE TEMP TABLE leased AS SELECT * FROM pgqrs.dequeue('sql_demo', 2, 30);
SELECT id, payload, read_ct, vt > now() AS leased FROM leased ORDER BY id;

\echo '== archive them: the work is done'
SELECT id, pgqrs.archive(id) AS archived FROM leased ORDER BY id;

\echo '== metrics: 1 pending, 2 archived'
\x on
SELECT * FROM pgqrs.queue_metrics('sql_demo');
\x off

\echo '== the archive keeps the message ids'
SELECT id, payload, read_ct FROM pgqrs.archive WHERE queue_id = (SELECT id FROM pgqrs.get_queue('sql_demo')) ORDER BY id;
