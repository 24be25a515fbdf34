-- dequeue and dequeue_wait: exhausted messages in front of deliverable ones are
-- all buried by one call, which still returns what is deliverable; one wait's
-- length is capped by pgqrs.max_wait_seconds.
\set SHOW_CONTEXT never
SELECT queue_name, max_attempts FROM pgqrs.create_queue('ex_jobs', 1);

-- 20 messages delivered once (max_attempts 1) and given back: all exhausted
SELECT count(*) AS enqueued FROM pgqrs.enqueue_batch('ex_jobs',
  (SELECT array_agg(jsonb_build_object('n', i)) FROM generate_series(1, 20) i));
SELECT pgqrs.release(array_agg(id)) AS given_back FROM pgqrs.dequeue('ex_jobs', 20, 300);
SELECT pgqrs.enqueue('ex_jobs', '{"fresh": 1}') AS fresh \gset
-- one call buries the 20 and returns the fresh message
SELECT id = :fresh AS is_fresh, read_ct FROM pgqrs.dequeue('ex_jobs', 1, 300);
SELECT count(*) AS dead FROM pgqrs.dlq('ex_jobs');
SELECT count(*) AS left_in_queue FROM pgqrs.messages m JOIN pgqrs.queues q ON q.id = m.queue_id
 WHERE q.queue_name = 'ex_jobs';

-- a batch: 30 exhausted in front of 3 fresh ones, batch_size 5 gets the 3
SELECT count(*) AS enqueued FROM pgqrs.enqueue_batch('ex_jobs',
  (SELECT array_agg(jsonb_build_object('n', i)) FROM generate_series(1, 30) i));
SELECT pgqrs.release(array_agg(id)) AS given_back FROM pgqrs.dequeue('ex_jobs', 30, 300);
SELECT count(*) AS enqueued FROM pgqrs.enqueue_batch('ex_jobs',
  array['{"fresh": 2}', '{"fresh": 3}', '{"fresh": 4}']::jsonb[]);
SELECT array_agg(payload->>'fresh' ORDER BY id) AS delivered FROM pgqrs.dequeue('ex_jobs', 5, 300);
SELECT count(*) AS dead FROM pgqrs.dlq('ex_jobs');

-- dequeue_wait does the same without waiting
SELECT count(*) AS enqueued FROM pgqrs.enqueue_batch('ex_jobs',
  (SELECT array_agg(jsonb_build_object('n', i)) FROM generate_series(1, 12) i));
SELECT pgqrs.release(array_agg(id)) AS given_back FROM pgqrs.dequeue('ex_jobs', 12, 300);
SELECT pgqrs.enqueue('ex_jobs', '{"fresh": 5}') AS fresh \gset
SELECT id = :fresh AS is_fresh FROM pgqrs.dequeue_wait('ex_jobs', 1, 300, NULL, 5);
SELECT count(*) AS dead FROM pgqrs.dlq('ex_jobs');

-- only exhausted messages: buried, nothing delivered, no error
SELECT count(*) AS enqueued FROM pgqrs.enqueue_batch('ex_jobs',
  (SELECT array_agg(jsonb_build_object('n', i)) FROM generate_series(1, 9) i));
SELECT pgqrs.release(array_agg(id)) AS given_back FROM pgqrs.dequeue('ex_jobs', 9, 300);
SELECT count(*) AS delivered FROM pgqrs.dequeue('ex_jobs', 2, 300);
SELECT count(*) AS dead FROM pgqrs.dlq('ex_jobs');

-- pgqrs.max_wait_seconds caps one wait (its snapshot holds back vacuum while it sleeps)
SHOW pgqrs.max_wait_seconds;
SET pgqrs.max_wait_seconds = 1;
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) AS delivered FROM pgqrs.dequeue_wait('ex_jobs', 1, 5, NULL, 30);
SELECT clock_timestamp() - :'t0'::timestamptz BETWEEN interval '0.9 s' AND interval '10 s'
  AS returned_after_the_cap;
-- the cap is for calls that keep their snapshot: SELECT <columns> FROM
-- dequeue_wait(...) alone sleeps without one and waits its full wait_seconds
SELECT clock_timestamp() AS t0 \gset
SELECT id FROM pgqrs.dequeue_wait('ex_jobs', 1, 5, NULL, 2);
SELECT clock_timestamp() - :'t0'::timestamptz >= interval '1.9 s' AS waited_its_wait_seconds;
RESET pgqrs.max_wait_seconds;
SET pgqrs.max_wait_seconds = 0;
SET pgqrs.max_wait_seconds = 3601;

-- a waiter whose worker is suspended gets nothing and no error; a stopped one 55000
SELECT id AS wid FROM pgqrs.register_worker('exact-host', 1, 'ex_jobs') \gset
SELECT status FROM pgqrs.suspend_worker(:wid);
SELECT pgqrs.enqueue('ex_jobs', '{"held": 1}') IS NOT NULL AS enqueued;
SELECT count(*) AS delivered FROM pgqrs.dequeue_wait('ex_jobs', 1, 5, :wid, 1);
SELECT status FROM pgqrs.shutdown_worker(:wid);
-- (the generated statement names the worker id, which is not echoed)
\set ECHO none
SELECT format('DO $d$ BEGIN PERFORM pgqrs.dequeue_wait(''ex_jobs'', 1, 5, %s, 1); '
              'EXCEPTION WHEN SQLSTATE ''55000'' THEN RAISE NOTICE ''stopped worker: %%'', SQLSTATE; '
              'END $d$', :wid) \gexec
\set ECHO all
-- a queue that does not exist: P0002 before any wait
SELECT count(*) FROM pgqrs.dequeue_wait('ex_nope', 1, 5, NULL, 30);

SELECT pgqrs.delete_queue('ex_jobs', true);
