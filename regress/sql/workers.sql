-- Workers: register_worker, get_worker, list_workers, heartbeat, suspend /
-- resume / shutdown, worker_status, worker_messages, delete_worker,
-- purge_old_workers, reclaim_messages; unknown and stopped workers.
\set SHOW_CONTEXT never
-- ids named in error messages stay the same whatever ran before
SELECT setval(pg_get_serial_sequence('pgqrs.workers', 'id'), 10000) AS first_id_after;
-- state(): a fingerprint of every pgqrs table; save_state() remembers it and
-- unchanged() says whether the tables are exactly as they were then.
CREATE FUNCTION pg_temp.state() RETURNS text LANGUAGE sql AS $$
  SELECT md5(concat_ws('|',
    (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM pgqrs.queues t),
    (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM pgqrs.workers t),
    (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM pgqrs.messages t),
    (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM pgqrs.archive t)))
$$;
CREATE TEMP TABLE saved_state (fingerprint text);
CREATE FUNCTION pg_temp.save_state() RETURNS void LANGUAGE sql AS $$
  DELETE FROM pg_temp.saved_state;
  INSERT INTO pg_temp.saved_state SELECT pg_temp.state();
$$;
CREATE FUNCTION pg_temp.unchanged() RETURNS boolean LANGUAGE sql AS $$
  SELECT fingerprint = pg_temp.state() FROM pg_temp.saved_state
$$;

SELECT pgqrs.create_queue('wo_jobs') IS NOT NULL AS created;
SELECT pgqrs.create_queue('wo_other') IS NOT NULL AS created;
SELECT id AS qid FROM pgqrs.get_queue('wo_jobs') \gset

-- register_worker: a ready worker, bound to a queue or not
SELECT id, hostname, port, queue_id = :qid AS on_queue, status,
       started_at = heartbeat_at AS fresh, shutdown_at IS NULL AS running
  FROM pgqrs.register_worker('wo-host-a', 8001, 'wo_jobs');
SELECT id, hostname, port, queue_id IS NULL AS no_queue, status
  FROM pgqrs.register_worker('wo-host-b', 8002);
SELECT id, port, status FROM pgqrs.register_worker('wo-host-a', 8003, 'wo_other');

-- get_worker, worker_status, list_workers
SELECT id, hostname, port, status FROM pgqrs.get_worker(10001);
SELECT pgqrs.worker_status(10001);
SELECT id, port FROM pgqrs.list_workers('wo_jobs');
SELECT id, port FROM pgqrs.list_workers() WHERE hostname LIKE 'wo-host-%';
SELECT count(*) = (SELECT count(*) FROM pgqrs.workers) AS lists_all FROM pgqrs.list_workers();
SELECT count(*) FROM pgqrs.list_workers(NULL) WHERE hostname LIKE 'wo-host-%';

-- heartbeat returns the new heartbeat time
UPDATE pgqrs.workers SET heartbeat_at = heartbeat_at - interval '1 hour' WHERE id = 10001;
SELECT pgqrs.heartbeat(10001) >= now() - interval '1 second' AS beat_now;
SELECT heartbeat_at > now() - interval '1 minute' AS recorded FROM pgqrs.workers WHERE id = 10001;

-- ready -> suspended -> ready -> suspended -> stopped
SELECT id, status, shutdown_at IS NULL AS running FROM pgqrs.suspend_worker(10001);
SELECT pgqrs.heartbeat(10001) IS NOT NULL AS suspended_may_beat;
SELECT id, status FROM pgqrs.resume_worker(10001);
SELECT id, status FROM pgqrs.suspend_worker(10001);
SELECT id, status, shutdown_at IS NOT NULL AS shut_down FROM pgqrs.shutdown_worker(10001);
SELECT pgqrs.worker_status(10001);
-- ready -> stopped directly
SELECT id, status FROM pgqrs.shutdown_worker(10002);

-- illegal transitions: 55000, nothing changes
SELECT pg_temp.save_state();
SELECT pgqrs.resume_worker(10003);
\echo sqlstate :SQLSTATE
SELECT pgqrs.suspend_worker(10001);
\echo sqlstate :SQLSTATE
SELECT pgqrs.resume_worker(10001);
\echo sqlstate :SQLSTATE
SELECT pgqrs.shutdown_worker(10001);
\echo sqlstate :SQLSTATE
SELECT status FROM pgqrs.suspend_worker(10003);
SELECT pg_temp.save_state();
SELECT pgqrs.suspend_worker(10003);
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();
SELECT status FROM pgqrs.resume_worker(10003);

-- a stopped worker may not heartbeat, enqueue or dequeue (55000); nothing changes
SELECT pgqrs.enqueue('wo_jobs', '{"w": 1}') AS m1 \gset
SELECT pg_temp.save_state();
SELECT pgqrs.heartbeat(10001);
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue('wo_jobs', '{"w": 2}', 0, 10001);
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue_batch('wo_jobs', array['{"w": 3}']::jsonb[], 0, 10001);
\echo sqlstate :SQLSTATE
SELECT pgqrs.dequeue('wo_jobs', 1, 30, 10001);
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();
-- it holds nothing, so it finishes nothing
SELECT pgqrs.archive(:m1, 10001) AS archived;
SELECT pgqrs.release(array[:m1], 10001) AS released;
SELECT pg_temp.unchanged();

-- unknown workers: P0002 everywhere, nothing changes
SELECT pgqrs.get_worker(99999);
\echo sqlstate :SQLSTATE
SELECT pgqrs.worker_status(99999);
\echo sqlstate :SQLSTATE
SELECT pgqrs.heartbeat(99999);
\echo sqlstate :SQLSTATE
SELECT pgqrs.suspend_worker(99999);
\echo sqlstate :SQLSTATE
SELECT pgqrs.resume_worker(99999);
\echo sqlstate :SQLSTATE
SELECT pgqrs.shutdown_worker(99999);
\echo sqlstate :SQLSTATE
SELECT pgqrs.worker_messages(99999);
\echo sqlstate :SQLSTATE
SELECT pgqrs.delete_worker(99999);
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue('wo_jobs', '{}', 0, 99999);
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue_batch('wo_jobs', array['{}']::jsonb[], 0, 99999);
\echo sqlstate :SQLSTATE
SELECT pgqrs.dequeue('wo_jobs', 1, 30, 99999);
\echo sqlstate :SQLSTATE
SELECT pgqrs.archive(:m1, 99999);
\echo sqlstate :SQLSTATE
SELECT pgqrs.archive_batch(array[:m1], 99999);
\echo sqlstate :SQLSTATE
SELECT pgqrs.delete(:m1, 99999);
\echo sqlstate :SQLSTATE
SELECT pgqrs.delete_batch(array[:m1], 99999);
\echo sqlstate :SQLSTATE
SELECT pgqrs.extend_visibility(:m1, 30, 99999);
\echo sqlstate :SQLSTATE
SELECT pgqrs.release(array[:m1], 99999);
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();

-- re-registering a (hostname, port) takes the row over: same id, ready again,
-- fresh started_at, queue as given now
UPDATE pgqrs.workers SET started_at = started_at - interval '1 hour',
       heartbeat_at = heartbeat_at - interval '1 hour' WHERE id = 10001;
SELECT id, status, queue_id IS NULL AS no_queue, shutdown_at IS NULL AS running,
       started_at > now() - interval '1 minute' AS restarted,
       heartbeat_at > now() - interval '1 minute' AS beat
  FROM pgqrs.register_worker('wo-host-a', 8001);
SELECT id, status, queue_id = :qid AS on_queue FROM pgqrs.register_worker('wo-host-a', 8001, 'wo_jobs');
SELECT count(*) AS rows_for_address FROM pgqrs.workers WHERE hostname = 'wo-host-a' AND port = 8001;
-- taking over releases what the previous process of that address held
SELECT id = :m1 AS is_m1, consumer_worker_id = 10001 AS held FROM pgqrs.dequeue('wo_jobs', 1, 300, 10001);
SELECT id, status FROM pgqrs.register_worker('wo-host-a', 8001, 'wo_jobs');
SELECT read_ct, consumer_worker_id IS NULL AS no_holder, vt <= clock_timestamp() AS visible
  FROM pgqrs.messages WHERE id = :m1;

-- worker_messages: what it holds now
SELECT count(*) FROM pgqrs.enqueue_batch('wo_jobs', array['{"w": 4}', '{"w": 5}']::jsonb[]);
SELECT count(*) FROM pgqrs.dequeue('wo_jobs', 2, 300, 10001);
SELECT count(*) FROM pgqrs.dequeue('wo_jobs', 1, 300, 10003);
SELECT payload, read_ct, consumer_worker_id FROM pgqrs.worker_messages(10001) ORDER BY id;
SELECT payload, read_ct, consumer_worker_id FROM pgqrs.worker_messages(10003);
SELECT count(*) FROM pgqrs.worker_messages(10002);

-- delete_worker refuses (55006) while the worker holds messages
SELECT pg_temp.save_state();
SELECT pgqrs.delete_worker(10001);
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();

-- shutdown_worker releases the messages it holds at once
SELECT status FROM pgqrs.shutdown_worker(10001);
SELECT count(*) AS held FROM pgqrs.worker_messages(10001);
SELECT count(*) AS released_visible FROM pgqrs.messages
 WHERE queue_id = :qid AND consumer_worker_id IS NULL AND vt <= clock_timestamp() AND read_ct = 1;
SELECT read_ct, consumer_worker_id = 10003 AS held_by_10003 FROM pgqrs.dequeue('wo_jobs', 5, 300, 10003)
 ORDER BY id;
-- now it holds nothing: delete_worker goes through
SELECT pgqrs.delete_worker(10001);
SELECT count(*) FROM pgqrs.workers WHERE id = 10001;
SELECT pgqrs.get_worker(10001);
\echo sqlstate :SQLSTATE

-- reclaim_messages: a silent worker is stopped and its leases end now
SELECT count(*) AS held FROM pgqrs.worker_messages(10003);
SELECT pgqrs.reclaim_messages('wo_other', '2 hours') AS nothing_silent;
UPDATE pgqrs.workers SET heartbeat_at = heartbeat_at - interval '3 hours' WHERE id = 10003;
-- scoped by queue: workers registered for it or holding its messages (10003 is on wo_other but holds wo_jobs messages)
SELECT pgqrs.reclaim_messages('wo_jobs', '2 hours') AS other_queue;
SELECT pgqrs.worker_status(10003);
SELECT pgqrs.reclaim_messages('wo_other', '2 hours') AS reclaimed;
SELECT status, shutdown_at IS NOT NULL AS shut_down FROM pgqrs.get_worker(10003);
SELECT count(*) AS held FROM pgqrs.worker_messages(10003);
SELECT count(*) AS visible_again FROM pgqrs.messages
 WHERE queue_id = :qid AND consumer_worker_id IS NULL AND vt <= clock_timestamp();
-- a second reclaim finds nobody
SELECT pgqrs.reclaim_messages('wo_other', '2 hours') AS again;
-- with older_than '0 seconds' and no queue: every worker silent since before this statement
SELECT id AS w4 FROM pgqrs.register_worker('wo-host-c', 8004, 'wo_jobs') \gset
SELECT count(*) FROM pgqrs.dequeue('wo_jobs', 2, 300, :w4);
SELECT pgqrs.reclaim_messages(older_than => '0 seconds') >= 2 AS reclaimed;
SELECT status FROM pgqrs.get_worker(:w4);
SELECT count(*) AS held FROM pgqrs.worker_messages(:w4);
-- a worker that beats is not reclaimed
SELECT id AS w5 FROM pgqrs.register_worker('wo-host-c', 8005, 'wo_jobs') \gset
SELECT count(*) FROM pgqrs.dequeue('wo_jobs', 1, 300, :w5);
SELECT pgqrs.reclaim_messages('wo_jobs') AS default_one_minute;
SELECT pgqrs.worker_status(:w5);

-- purge_old_workers: stopped, silent for older_than, holding nothing;
-- only 10003 (stopped, silent for three hours) qualifies yet
SELECT pgqrs.purge_old_workers('2 hours') AS purged_10003;
SELECT count(*) FROM pgqrs.workers WHERE id = 10003;
-- a stopped worker that still holds a message stays (the state is made by hand)
SELECT id AS w6 FROM pgqrs.register_worker('wo-host-c', 8006, 'wo_jobs') \gset
SELECT count(*) FROM pgqrs.dequeue('wo_jobs', 1, 300, :w6);
UPDATE pgqrs.workers SET status = 'stopped' WHERE id = :w6;
UPDATE pgqrs.workers SET heartbeat_at = heartbeat_at - interval '3 hours'
 WHERE id IN (10002, :w4, :w5, :w6);
SELECT pgqrs.purge_old_workers('2 hours') AS purged;
SELECT id = :w5 AS is_w5, id = :w6 AS is_w6, status FROM pgqrs.workers
 WHERE hostname LIKE 'wo-host-%' ORDER BY id;
SELECT pgqrs.purge_old_workers('2 hours') AS again;

-- negative or NULL intervals are refused (22023 / 22004)
SELECT pg_temp.save_state();
SELECT pgqrs.purge_old_workers('-1 hour');
\echo sqlstate :SQLSTATE
SELECT pgqrs.purge_old_workers(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.reclaim_messages('wo_jobs', '-5 minutes');
\echo sqlstate :SQLSTATE
SELECT pgqrs.reclaim_messages('wo_jobs', NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.reclaim_messages('wo_nope', '1 minute');
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();

-- a hostname is 1 to 255 characters, counted as characters, not bytes
SELECT length(hostname) AS chars, octet_length(hostname) AS bytes
  FROM pgqrs.register_worker(repeat('é', 200), 9104);
SELECT pgqrs.delete_worker(id) FROM pgqrs.workers WHERE port = 9104;
