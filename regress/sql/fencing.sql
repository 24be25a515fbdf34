-- Fencing: with worker_id and / or attempt, archive, delete, extend_visibility
-- and release act only for the current lease holder and attempt.
\set SHOW_CONTEXT never

SELECT pgqrs.create_queue('fe_jobs') IS NOT NULL AS created;
SELECT id AS wa FROM pgqrs.register_worker('fe-host', 7301, 'fe_jobs') \gset
SELECT id AS wb FROM pgqrs.register_worker('fe-host', 7302, 'fe_jobs') \gset

-- worker A leases m1 for one second and stalls; the lease ends and B takes m1
SELECT pgqrs.enqueue('fe_jobs', '{"job": 1}') AS m1 \gset
SELECT id = :m1 AS is_m1, read_ct, consumer_worker_id = :wa AS held_by_a
  FROM pgqrs.dequeue('fe_jobs', 1, 1, :wa);
SELECT pg_sleep(1.1);
SELECT id = :m1 AS is_m1, read_ct, consumer_worker_id = :wb AS held_by_b
  FROM pgqrs.dequeue('fe_jobs', 1, 60, :wb);

-- A, the stale holder, can finish nothing: every call says no and changes nothing
SELECT pgqrs.archive(:m1, :wa) AS a_archive;
SELECT pgqrs.delete(:m1, :wa) AS a_delete;
SELECT pgqrs.extend_visibility(:m1, 600, :wa) IS NULL AS a_extend_refused;
SELECT pgqrs.release(array[:m1], :wa) AS a_release;
SELECT count(*) AS a_archive_batch FROM pgqrs.archive_batch(array[:m1], :wa);
SELECT count(*) AS a_delete_batch FROM pgqrs.delete_batch(array[:m1], :wa);
SELECT read_ct, consumer_worker_id = :wb AS held_by_b,
       vt > clock_timestamp() + interval '50 seconds'
         AND vt <= clock_timestamp() + interval '60 seconds' AS b_lease_intact
  FROM pgqrs.messages WHERE id = :m1;
SELECT count(*) AS in_archive FROM pgqrs.archive WHERE id = :m1;
SELECT count(*) AS held_by_a FROM pgqrs.worker_messages(:wa);
SELECT count(*) AS held_by_b FROM pgqrs.worker_messages(:wb);

-- B, the holder, can
SELECT pgqrs.extend_visibility(:m1, 120, :wb) > clock_timestamp() + interval '110 seconds'
       AS b_extended;
SELECT pgqrs.archive(:m1, :wb) AS b_archive;
SELECT read_ct, consumer_worker_id = :wb AS archived_by_b FROM pgqrs.archive WHERE id = :m1;

-- per-attempt fencing (the lease token is read_ct), without a worker id
SELECT pgqrs.enqueue('fe_jobs', '{"job": 2}') AS m2 \gset
SELECT read_ct FROM pgqrs.dequeue('fe_jobs', 1, 1);
SELECT pg_sleep(1.1);
SELECT read_ct FROM pgqrs.dequeue('fe_jobs', 1, 60);
-- attempt 1 is over
SELECT pgqrs.archive(:m2, NULL, 1) AS attempt1_archive;
SELECT pgqrs.delete(:m2, attempt => 1) AS attempt1_delete;
SELECT pgqrs.extend_visibility(:m2, 600, NULL, 1) IS NULL AS attempt1_extend_refused;
SELECT pgqrs.release(array[:m2], NULL, array[1]) AS attempt1_release;
SELECT count(*) AS attempt1_archive_batch FROM pgqrs.archive_batch(array[:m2], NULL, array[1]);
SELECT count(*) AS attempt1_delete_batch FROM pgqrs.delete_batch(array[:m2], NULL, array[1]);
SELECT read_ct, vt > clock_timestamp() + interval '50 seconds' AS lease_intact
  FROM pgqrs.messages WHERE id = :m2;
-- attempt 2 is current
SELECT pgqrs.extend_visibility(:m2, 90, NULL, 2) > clock_timestamp() + interval '80 seconds'
       AS attempt2_extended;
SELECT pgqrs.release(array[:m2], NULL, array[2]) AS attempt2_release;

-- the same worker getting a message again as a new attempt: the old attempt is fenced
SELECT read_ct, consumer_worker_id = :wa AS held_by_a FROM pgqrs.dequeue('fe_jobs', 1, 60, :wa);
SELECT pgqrs.archive(:m2, :wa, 2) AS old_attempt;
SELECT pgqrs.archive(:m2, :wb, 3) AS other_worker;
SELECT pgqrs.archive(:m2, :wa, 3) AS holder_and_attempt;

-- batches: only the pairs (id, attempt) that match are done
SELECT array_agg(id ORDER BY ord) AS ids
  FROM pgqrs.enqueue_batch('fe_jobs', array['{"b": 1}', '{"b": 2}', '{"b": 3}']::jsonb[])
       WITH ORDINALITY AS e(id, ord) \gset
SELECT count(*) FROM pgqrs.dequeue('fe_jobs', 3, 60, :wa);
SELECT array_agg(x ORDER BY x) = (:'ids'::bigint[])[1:1] AS only_first
  FROM pgqrs.archive_batch(:'ids'::bigint[], :wa, array[1, 2, 7]) AS a(x);
SELECT array_agg(x ORDER BY x) = (:'ids'::bigint[])[2:2] AS only_second
  FROM pgqrs.delete_batch(:'ids'::bigint[], :wa, array[9, 1, 9]) AS d(x);
SELECT count(*) AS wrong_worker FROM pgqrs.archive_batch(:'ids'::bigint[], :wb);
SELECT pgqrs.release(:'ids'::bigint[], :wb) AS wrong_worker_release;
SELECT pgqrs.release(:'ids'::bigint[], :wa, array[1, 1, 2]) AS wrong_attempt_release;
SELECT read_ct, consumer_worker_id = :wa AS held_by_a, vt > clock_timestamp() AS leased
  FROM pgqrs.messages WHERE id = (:'ids'::bigint[])[3];
SELECT pgqrs.release(:'ids'::bigint[], :wa, array[1, 1, 1]) AS right_attempt_release;

-- a released message: its old holder can no longer finish it by worker id
SELECT pgqrs.archive((:'ids'::bigint[])[3], :wa) AS after_release;
-- nor after a reclaim
SELECT read_ct FROM pgqrs.dequeue('fe_jobs', 1, 60, :wb);
UPDATE pgqrs.workers SET heartbeat_at = heartbeat_at - interval '1 hour' WHERE id = :wb;
SELECT pgqrs.reclaim_messages('fe_jobs', '30 minutes') AS reclaimed;
SELECT pgqrs.archive((:'ids'::bigint[])[3], :wb) AS after_reclaim;
SELECT read_ct, consumer_worker_id IS NULL AS no_holder, vt <= clock_timestamp() AS visible
  FROM pgqrs.messages WHERE id = (:'ids'::bigint[])[3];

-- a lease that ended without anyone taking the message may still be finished
-- by its last holder: nobody else has it
SELECT pgqrs.enqueue('fe_jobs', '{"job": 3}') AS m3 \gset
SELECT pgqrs.delete(id) FROM pgqrs.messages WHERE id = (:'ids'::bigint[])[3];
SELECT read_ct FROM pgqrs.dequeue('fe_jobs', 1, 1, :wa);
SELECT pg_sleep(1.1);
SELECT pgqrs.archive(:m3, :wa, 1) AS late_but_untaken;

-- a NULL element of attempts means any attempt for that id
SELECT pgqrs.create_queue('fe_any') IS NOT NULL AS created;
SELECT pgqrs.enqueue('fe_any', '{}') AS any_id \gset
SELECT read_ct FROM pgqrs.dequeue('fe_any');
SELECT count(*) AS archived FROM pgqrs.archive_batch(ARRAY[:any_id]::bigint[], NULL, ARRAY[NULL]::int[]);
