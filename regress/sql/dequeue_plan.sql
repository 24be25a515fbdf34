-- A backlog in the messages table must not turn dequeue into a full scan. The
-- claim's plan is made once per backend for any batch size, and with a big
-- table the planner can prefer a scan of the whole table and a sort (here made
-- certain by pricing random reads high); the functions' own settings leave the
-- ordered index scan as the only choice.
SET client_min_messages = warning;
SET random_page_cost = 1000;
SELECT pgqrs.create_queue('backlog') IS NOT NULL AS created;
SELECT pgqrs.create_queue('idle') IS NOT NULL AS created;
SELECT count(*) AS enqueued
FROM generate_series(1, 5) AS g,
     LATERAL pgqrs.enqueue_batch('backlog', array(SELECT jsonb_build_object('seq', (g - 1) * 1000 + i)
                                                  FROM generate_series(1, 1000) AS i));
ANALYZE pgqrs.messages;

SELECT seq_scan AS seq_before, idx_scan AS idx_before
FROM pg_stat_user_tables WHERE relid = 'pgqrs.messages'::regclass \gset

-- an empty queue next to the backlog, then the backlog itself, one at a time and in batches
SELECT count(*) AS got FROM pgqrs.dequeue('idle', 1, 30);
SELECT count(*) AS got FROM pgqrs.dequeue('idle', 100, 30);
SELECT count(*) AS got FROM pgqrs.dequeue_wait('idle', 1, 30, NULL, 0);
SELECT count(*) AS got FROM pgqrs.dequeue('backlog', 1, 30);
SELECT count(*) AS got FROM pgqrs.dequeue('backlog', 500, 30);
SELECT array_agg(payload->>'seq' ORDER BY id) AS oldest_first FROM pgqrs.dequeue('backlog', 3, 30);

SELECT pg_stat_force_next_flush();
SELECT pg_stat_clear_snapshot();
SELECT seq_scan - :seq_before AS seq_scans, idx_scan > :idx_before AS used_the_index
FROM pg_stat_user_tables WHERE relid = 'pgqrs.messages'::regclass;

SELECT pgqrs.delete_queue('backlog', true) AND pgqrs.delete_queue('idle', true) AS deleted;
