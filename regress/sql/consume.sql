-- Consuming: dequeue, archive, archive_batch, delete, delete_batch,
-- extend_visibility, release; lease expiry and delayed messages.
\set SHOW_CONTEXT never

SELECT pgqrs.create_queue('co_work') IS NOT NULL AS created;
SELECT id AS qid FROM pgqrs.get_queue('co_work') \gset
SELECT array_agg(id ORDER BY ord) AS ids
  FROM pgqrs.enqueue_batch('co_work',
         array['{"n": 1}', '{"n": 2}', '{"n": 3}', '{"n": 4}', '{"n": 5}']::jsonb[])
       WITH ORDINALITY AS b(id, ord) \gset
SELECT (:'ids'::bigint[])[1] AS m1, (:'ids'::bigint[])[2] AS m2, (:'ids'::bigint[])[3] AS m3,
       (:'ids'::bigint[])[4] AS m4, (:'ids'::bigint[])[5] AS m5 \gset

-- dequeue hands out the oldest visible message and leases it
SELECT id = :m1 AS oldest, queue_id = :qid AS in_queue, payload, read_ct,
       vt > clock_timestamp() + interval '25 seconds'
         AND vt <= clock_timestamp() + interval '30 seconds' AS leased_30s,
       dequeued_at IS NOT NULL AS dequeued, consumer_worker_id IS NULL AS anonymous
  FROM pgqrs.dequeue('co_work', 1, 30);
-- the table agrees
SELECT read_ct, vt > clock_timestamp() AS leased FROM pgqrs.messages WHERE id = :m1;
-- a leased message is not handed out again; batch_size caps the claim, by (vt, id)
SELECT id = :m2 AS is_m2, id = :m3 AS is_m3, payload, read_ct FROM pgqrs.dequeue('co_work', 2, 30);
-- the default lock is 5 seconds
SELECT id = :m4 AS is_m4, vt > clock_timestamp() + interval '3 seconds'
         AND vt <= clock_timestamp() + interval '5 seconds' AS leased_5s
  FROM pgqrs.dequeue('co_work');
-- a batch larger than what is visible returns what there is
SELECT id = :m5 AS is_m5 FROM pgqrs.dequeue('co_work', 100, 30);
SELECT count(*) AS nothing_left FROM pgqrs.dequeue('co_work', 100);

-- archive: the row moves to the archive under its id, atomically
SELECT pgqrs.archive(:m1);
SELECT count(*) AS in_messages FROM pgqrs.messages WHERE id = :m1;
SELECT queue_id = :qid AS in_queue, payload, read_ct, dead_letter,
       archived_at <= now() AS archived_now, dequeued_at IS NOT NULL AS was_dequeued
  FROM pgqrs.archive WHERE id = :m1;
-- archiving it again, or an id that never existed: false
SELECT pgqrs.archive(:m1);
SELECT pgqrs.archive(-1);

-- archive_batch returns the ids it archived; unknown and done ids are skipped
SELECT array_agg(id ORDER BY id) = array[:m2, :m3]::bigint[] AS archived_m2_m3
  FROM pgqrs.archive_batch(array[:m2, :m1, -5, :m3]) AS a(id);
SELECT count(*) AS archived FROM pgqrs.archive WHERE queue_id = :qid;
SELECT count(*) FROM pgqrs.archive_batch(array[:m2, :m3]);
SELECT count(*) FROM pgqrs.archive_batch('{}');

-- delete removes a message for good: neither in messages nor in the archive
SELECT pgqrs.delete(:m4);
SELECT (SELECT count(*) FROM pgqrs.messages WHERE id = :m4) AS in_messages,
       (SELECT count(*) FROM pgqrs.archive WHERE id = :m4) AS in_archive;
SELECT pgqrs.delete(:m4);
-- delete does not touch the archive
SELECT pgqrs.delete(:m1);
SELECT count(*) AS still_archived FROM pgqrs.archive WHERE id = :m1;
-- delete_batch
SELECT pgqrs.enqueue('co_work', '{"n": 6}') AS m6 \gset
SELECT array_agg(id ORDER BY id) = array[:m5, :m6]::bigint[] AS deleted_m5_m6
  FROM pgqrs.delete_batch(array[:m5, :m6, :m1, -3]) AS d(id);
SELECT count(*) AS left_in_queue FROM pgqrs.messages WHERE queue_id = :qid;
SELECT count(*) FROM pgqrs.delete_batch('{}');

-- extend_visibility moves the end of the lease and returns it
SELECT pgqrs.enqueue('co_work', '{"n": 7}') AS m7 \gset
SELECT read_ct FROM pgqrs.dequeue('co_work', 1, 5);
SELECT pgqrs.extend_visibility(:m7, 120) AS new_vt \gset
SELECT :'new_vt'::timestamptz > clock_timestamp() + interval '115 seconds' AS two_minutes,
       vt = :'new_vt'::timestamptz AS stored, read_ct
  FROM pgqrs.messages WHERE id = :m7;
SELECT pgqrs.extend_visibility(-1, 120) IS NULL AS no_such_message;
-- it may also shorten a lease
SELECT pgqrs.extend_visibility(:m7, 1) < clock_timestamp() + interval '2 seconds' AS shortened;

-- release ends leases now; read_ct keeps the attempt
SELECT pgqrs.release(array[:m7]);
SELECT vt <= clock_timestamp() AS visible, read_ct, consumer_worker_id IS NULL AS no_holder
  FROM pgqrs.messages WHERE id = :m7;
-- a message not leased (pending, delayed, unknown) is not counted
SELECT pgqrs.release(array[:m7]);
SELECT pgqrs.enqueue('co_work', '{"n": 8}', 3600) AS m8 \gset
SELECT pgqrs.release(array[:m8, -1]);
SELECT vt > clock_timestamp() + interval '3500 seconds' AS still_delayed
  FROM pgqrs.messages WHERE id = :m8;
SELECT pgqrs.release('{}');
-- the released message is handed out again, as the next attempt
SELECT id = :m7 AS is_m7, read_ct FROM pgqrs.dequeue('co_work', 10, 30);

-- lease expiry: not archived in time, the message comes back with read_ct + 1
SELECT pgqrs.enqueue('co_work', '{"n": 9}') AS m9 \gset
SELECT id = :m9 AS is_m9, read_ct FROM pgqrs.dequeue('co_work', 1, 1);
-- a delayed message becomes visible when due
SELECT pgqrs.enqueue('co_work', '{"n": 10}', 1) AS m10 \gset
SELECT count(*) AS before_expiry FROM pgqrs.dequeue('co_work', 10);
SELECT pg_sleep(1.1);
SELECT id = :m9 AS is_m9, id = :m10 AS is_m10, read_ct
  FROM pgqrs.dequeue('co_work', 10, 30) ORDER BY id;

-- dequeue in the caller's transaction: a rollback gives the lease back
SELECT pgqrs.enqueue('co_work', '{"n": 11}') AS m11 \gset
BEGIN;
SELECT id = :m11 AS is_m11, read_ct FROM pgqrs.dequeue('co_work', 1, 300);
ROLLBACK;
SELECT read_ct, dequeued_at IS NULL AS never_dequeued, vt <= clock_timestamp() AS visible
  FROM pgqrs.messages WHERE id = :m11;
-- archive in a rolled back transaction leaves the message where it was
BEGIN;
SELECT pgqrs.archive(:m11);
ROLLBACK;
SELECT (SELECT count(*) FROM pgqrs.messages WHERE id = :m11) AS in_messages,
       (SELECT count(*) FROM pgqrs.archive WHERE id = :m11) AS in_archive;

-- the largest lease allowed: one day
SELECT vt > clock_timestamp() + interval '23 hours' AS a_day
  FROM pgqrs.dequeue('co_work', 1, 86400);
SELECT pgqrs.extend_visibility(:m11, 86400) > clock_timestamp() + interval '23 hours' AS a_day;

-- with a worker id: consumer_worker_id is the lease holder
SELECT id AS cw FROM pgqrs.register_worker('co-host', 7201, 'co_work') \gset
SELECT pgqrs.enqueue('co_work', '{"n": 12}') AS m12 \gset
SELECT id = :m12 AS is_m12, consumer_worker_id = :cw AS held_by_worker
  FROM pgqrs.dequeue('co_work', 1, 30, :cw);
SELECT pgqrs.archive(:m12, :cw);
-- a suspended worker gets nothing
SELECT pgqrs.enqueue('co_work', '{"n": 13}') AS m13 \gset
SELECT status FROM pgqrs.suspend_worker(:cw);
SELECT count(*) AS delivered FROM pgqrs.dequeue('co_work', 10, 30, :cw);
SELECT read_ct, dequeued_at IS NULL AS untouched FROM pgqrs.messages WHERE id = :m13;
SELECT status FROM pgqrs.resume_worker(:cw);
SELECT id = :m13 AS is_m13 FROM pgqrs.dequeue('co_work', 10, 30, :cw);
-- an empty queue: no rows, no error
SELECT pgqrs.create_queue('co_empty') IS NOT NULL AS created;
SELECT count(*) FROM pgqrs.dequeue('co_empty', 10, 30);
SELECT count(*) FROM pgqrs.dequeue('co_empty', 10, 30, :cw);

-- dequeue_wait: returns at once when a message is there, waits up to
-- wait_seconds otherwise; same limits as dequeue, wait_seconds 0..3600
SELECT pgqrs.enqueue('co_empty', '{"wait": 1}') IS NOT NULL AS enqueued;
SELECT clock_timestamp() AS t0 \gset
SELECT payload, read_ct FROM pgqrs.dequeue_wait('co_empty', 5, 30, NULL, 10);
SELECT clock_timestamp() - :'t0'::timestamptz < interval '5 seconds' AS returned_at_once;
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM pgqrs.dequeue_wait('co_empty', 1, 30, NULL, 1);
SELECT clock_timestamp() - :'t0'::timestamptz >= interval '1 second' AS waited;
SELECT count(*) FROM pgqrs.dequeue_wait('co_empty', 1, 30, NULL, 0);
-- a delayed message due within the wait is handed out
SELECT pgqrs.enqueue('co_empty', '{"wait": 2}', 1) IS NOT NULL AS enqueued;
SELECT payload, read_ct FROM pgqrs.dequeue_wait('co_empty', 1, 30, NULL, 5);
SELECT pgqrs.dequeue_wait('co_empty', 1, 30, NULL, -1);
\echo sqlstate :SQLSTATE
SELECT pgqrs.dequeue_wait('co_empty', 1, 30, NULL, 3601);
\echo sqlstate :SQLSTATE
SELECT pgqrs.dequeue_wait('co_empty', 1, 30, NULL, NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.dequeue_wait('co_nope', 1, 30, NULL, 1);
\echo sqlstate :SQLSTATE
SELECT pgqrs.dequeue_wait('co_empty', 0, 30, NULL, 1);
\echo sqlstate :SQLSTATE
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT pgqrs.dequeue_wait('co_empty', 1, 30, NULL, 1);
\echo sqlstate :SQLSTATE
ROLLBACK;

-- extend_visibility acts only on a message that was dequeued: a fresh one stays pending
SELECT pgqrs.create_queue('co_fresh') IS NOT NULL AS created;
SELECT pgqrs.extend_visibility(pgqrs.enqueue('co_fresh', '{}'), 60) IS NULL AS not_leased;
SELECT pending_messages, delayed_messages FROM pgqrs.queue_metrics('co_fresh');
