-- Bad input: every entry point answers with a clear error and changes nothing.
-- Worker errors are in workers.sql, replay errors in dead_letters.sql.
\set SHOW_CONTEXT never
-- ids named in error messages stay the same whatever ran before
SELECT setval(pg_get_serial_sequence('pgqrs.messages', 'id'), 1000) AS first_id_after;
SELECT setval(pg_get_serial_sequence('pgqrs.workers', 'id'), 1000) AS first_worker_id_after;
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

SELECT pgqrs.create_queue('bi_jobs') IS NOT NULL AS created;
SELECT pgqrs.enqueue('bi_jobs', '{"n": 1}') AS m1 \gset
SELECT id AS w1 FROM pgqrs.register_worker('bi-host', 9101, 'bi_jobs') \gset
SELECT pg_temp.save_state();

-- invalid queue names (42602): quotes, semicolons, spaces, empty, too long, not ASCII
SELECT pgqrs.create_queue('bad''name');
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_queue('bad"name');
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_queue('q; DROP TABLE pgqrs.messages; --');
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_queue('x''); DELETE FROM pgqrs.queues; --');
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_queue('with space');
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_queue(' lead');
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_queue('tab	bed');
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_queue('');
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_queue('a/b');
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_queue('a$b');
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_queue('naïve');
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_queue(repeat('x', 129));
\echo sqlstate :SQLSTATE
-- a long name is cut in the message after 64 bytes, on a character boundary
SELECT pgqrs.create_queue(repeat('y', 200));
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_queue('a' || repeat('é', 100));
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();
SELECT count(*) AS messages_table_still_there FROM pgqrs.messages WHERE id = :m1;
-- the same check guards every function that takes a queue name
SELECT pgqrs.get_queue('bad name');
\echo sqlstate :SQLSTATE
SELECT pgqrs.set_max_attempts('bad;name', 3);
\echo sqlstate :SQLSTATE
SELECT pgqrs.delete_queue('bad''name', true);
\echo sqlstate :SQLSTATE
SELECT pgqrs.purge_queue('bad name');
\echo sqlstate :SQLSTATE
SELECT pgqrs.purge_archive('bad name');
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue('bad name', '{}');
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue_batch('bad name', array['{}']::jsonb[]);
\echo sqlstate :SQLSTATE
SELECT pgqrs.dequeue('bad name');
\echo sqlstate :SQLSTATE
SELECT pgqrs.register_worker('bi-host', 9102, 'bad name');
\echo sqlstate :SQLSTATE
SELECT pgqrs.list_workers('bad name');
\echo sqlstate :SQLSTATE
SELECT pgqrs.reclaim_messages('bad name', '1 minute');
\echo sqlstate :SQLSTATE
SELECT pgqrs.dlq('bad name');
\echo sqlstate :SQLSTATE
SELECT pgqrs.replay_dlq('bad name');
\echo sqlstate :SQLSTATE
SELECT pgqrs.queue_metrics('bad name');
\echo sqlstate :SQLSTATE
SELECT pgqrs.worker_stats('bad name');
\echo sqlstate :SQLSTATE
SELECT pgqrs.worker_health('bad name', '1 minute');
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();

-- unknown queue (P0002) for every function that takes a queue name
SELECT pgqrs.get_queue('bi_nope');
\echo sqlstate :SQLSTATE
SELECT pgqrs.set_max_attempts('bi_nope', 3);
\echo sqlstate :SQLSTATE
SELECT pgqrs.delete_queue('bi_nope');
\echo sqlstate :SQLSTATE
SELECT pgqrs.delete_queue('bi_nope', true);
\echo sqlstate :SQLSTATE
SELECT pgqrs.purge_queue('bi_nope');
\echo sqlstate :SQLSTATE
SELECT pgqrs.purge_archive('bi_nope');
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue('bi_nope', '{}');
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue_batch('bi_nope', array['{}']::jsonb[]);
\echo sqlstate :SQLSTATE
SELECT pgqrs.dequeue('bi_nope');
\echo sqlstate :SQLSTATE
SELECT pgqrs.register_worker('bi-host', 9102, 'bi_nope');
\echo sqlstate :SQLSTATE
SELECT pgqrs.list_workers('bi_nope');
\echo sqlstate :SQLSTATE
SELECT pgqrs.reclaim_messages('bi_nope', '1 minute');
\echo sqlstate :SQLSTATE
SELECT pgqrs.dlq('bi_nope');
\echo sqlstate :SQLSTATE
SELECT pgqrs.replay_dlq('bi_nope');
\echo sqlstate :SQLSTATE
SELECT pgqrs.queue_metrics('bi_nope');
\echo sqlstate :SQLSTATE
SELECT pgqrs.worker_stats('bi_nope');
\echo sqlstate :SQLSTATE
SELECT pgqrs.worker_health('bi_nope');
\echo sqlstate :SQLSTATE
-- names are case-sensitive
SELECT pgqrs.get_queue('BI_JOBS');
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();

-- NULL arguments (22004)
SELECT pgqrs.create_queue(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_queue('bi_null', NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.set_max_attempts('bi_jobs', NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.get_queue(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.delete_queue(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.delete_queue('bi_jobs', NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.purge_queue(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.purge_archive(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue(NULL, '{}');
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue('bi_jobs', NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue('bi_jobs', '{}', NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue_batch(NULL, array['{}']::jsonb[]);
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue_batch('bi_jobs', NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue_batch('bi_jobs', array['{}']::jsonb[], NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.dequeue(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.dequeue('bi_jobs', NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.dequeue('bi_jobs', 1, NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.archive(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.archive_batch(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.delete(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.delete_batch(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.extend_visibility(NULL, 10);
\echo sqlstate :SQLSTATE
SELECT pgqrs.extend_visibility(:m1, NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.release(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.register_worker(NULL, 1);
\echo sqlstate :SQLSTATE
SELECT pgqrs.register_worker('bi-host', NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.get_worker(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.heartbeat(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.suspend_worker(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.resume_worker(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.shutdown_worker(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.worker_status(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.worker_messages(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.delete_worker(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.purge_old_workers(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.reclaim_messages('bi_jobs', NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.dlq(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.replay_dlq(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.queue_metrics(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.worker_stats(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.worker_health('bi_jobs', NULL);
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();

-- out-of-range numbers (22023): delay 0..31536000, lock 1..86400,
-- batch 1..10000, max_attempts 1..1000000, port 0..65535, hostname 1..255
SELECT pgqrs.enqueue('bi_jobs', '{}', -1);
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue('bi_jobs', '{}', 31536001);
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue('bi_jobs', '{}', 2147483647);
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue_batch('bi_jobs', array['{}']::jsonb[], -5);
\echo sqlstate :SQLSTATE
SELECT pgqrs.dequeue('bi_jobs', 0);
\echo sqlstate :SQLSTATE
SELECT pgqrs.dequeue('bi_jobs', -1);
\echo sqlstate :SQLSTATE
SELECT pgqrs.dequeue('bi_jobs', 10001);
\echo sqlstate :SQLSTATE
SELECT pgqrs.dequeue('bi_jobs', 1, 0);
\echo sqlstate :SQLSTATE
SELECT pgqrs.dequeue('bi_jobs', 1, -30);
\echo sqlstate :SQLSTATE
SELECT pgqrs.dequeue('bi_jobs', 1, 86401);
\echo sqlstate :SQLSTATE
SELECT pgqrs.extend_visibility(:m1, 0);
\echo sqlstate :SQLSTATE
SELECT pgqrs.extend_visibility(:m1, -10);
\echo sqlstate :SQLSTATE
SELECT pgqrs.extend_visibility(:m1, 86401);
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_queue('bi_zero', 0);
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_queue('bi_neg', -1);
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_queue('bi_huge', 1000001);
\echo sqlstate :SQLSTATE
SELECT pgqrs.set_max_attempts('bi_jobs', 0);
\echo sqlstate :SQLSTATE
SELECT pgqrs.set_max_attempts('bi_jobs', -3);
\echo sqlstate :SQLSTATE
SELECT pgqrs.register_worker('bi-host', -1);
\echo sqlstate :SQLSTATE
SELECT pgqrs.register_worker('bi-host', 65536);
\echo sqlstate :SQLSTATE
SELECT pgqrs.register_worker('', 9103);
\echo sqlstate :SQLSTATE
SELECT pgqrs.register_worker(repeat('h', 256), 9103);
\echo sqlstate :SQLSTATE
SELECT pgqrs.register_worker(repeat('é', 256), 9103);
\echo sqlstate :SQLSTATE
-- intervals so long that now() minus them is no timestamp: argument errors
SELECT count(*) FROM pgqrs.worker_health(NULL, '290000 years');
\echo sqlstate :SQLSTATE
SELECT pgqrs.reclaim_messages(NULL, '290000 years');
\echo sqlstate :SQLSTATE
SELECT pgqrs.purge_old_workers('1001 years');
\echo sqlstate :SQLSTATE
SELECT pgqrs.purge_archive('bi_jobs', '290000 years');
\echo sqlstate :SQLSTATE
-- control characters and backslashes in a bad queue name are shown escaped
SELECT pgqrs.get_queue(E'bad\nname\x01\\');
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();
SELECT read_ct, dequeued_at IS NULL AS never_dequeued FROM pgqrs.messages WHERE id = :m1;

-- negative intervals (22023)
SELECT pgqrs.purge_archive('bi_jobs', '-1 day');
\echo sqlstate :SQLSTATE
SELECT pgqrs.purge_old_workers('-1 second');
\echo sqlstate :SQLSTATE
SELECT pgqrs.reclaim_messages('bi_jobs', '-1 minute');
\echo sqlstate :SQLSTATE
SELECT pgqrs.reclaim_messages(NULL, '-1 month');
\echo sqlstate :SQLSTATE
SELECT pgqrs.worker_health(NULL, '-1 hour');
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();

-- payloads must be JSON objects (22023)
SELECT pgqrs.enqueue('bi_jobs', '[1, 2]');
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue('bi_jobs', '"text"');
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue('bi_jobs', '42');
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue('bi_jobs', 'true');
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue('bi_jobs', 'null');
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue('bi_jobs', '[]');
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue_batch('bi_jobs', array['{}', '[]']::jsonb[]);
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue_batch('bi_jobs', array['"s"', '{}']::jsonb[]);
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();

-- payloads over pgqrs.max_payload_bytes (54000)
SET pgqrs.max_payload_bytes = 64;
SELECT pg_column_size('{"p": "012345678901234567890123456789012345678901234567"}'::jsonb) AS size;
SELECT pgqrs.enqueue('bi_jobs', '{"p": "012345678901234567890123456789012345678901234567"}');
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue_batch('bi_jobs',
  array['{}', '{"p": "012345678901234567890123456789012345678901234567"}']::jsonb[]);
\echo sqlstate :SQLSTATE
-- the size check comes before the shape check
SELECT pgqrs.enqueue('bi_jobs', to_jsonb(repeat('z', 100)));
\echo sqlstate :SQLSTATE
RESET pgqrs.max_payload_bytes;
SELECT pgqrs.enqueue('bi_jobs', jsonb_build_object('big', repeat('x', 1100000)));
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();
-- the setting has limits of its own and is for superusers
SET pgqrs.max_payload_bytes = 0;
SET pgqrs.max_payload_bytes = -5;
SHOW pgqrs.max_payload_bytes;

-- arrays: empty payload batch, NULL elements, too many elements, wrong shape
SELECT pgqrs.enqueue_batch('bi_jobs', '{}'::jsonb[]);
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue_batch('bi_jobs', array['{}', NULL]::jsonb[]);
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue_batch('bi_jobs', array[NULL]::jsonb[]);
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue_batch('bi_jobs', array[array['{}'::jsonb], array['{}'::jsonb]]);
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue_batch('bi_jobs', array_fill('{}'::jsonb, array[10001]));
\echo sqlstate :SQLSTATE
SELECT pgqrs.archive_batch(array[:m1, NULL]);
\echo sqlstate :SQLSTATE
SELECT pgqrs.archive_batch(array[:m1, :m1], NULL, array[1]);
\echo sqlstate :SQLSTATE
SELECT pgqrs.archive_batch(array_fill(:m1::bigint, array[10001]));
\echo sqlstate :SQLSTATE
SELECT pgqrs.delete_batch(array[NULL]::bigint[]);
\echo sqlstate :SQLSTATE
SELECT pgqrs.delete_batch(array[:m1], NULL, array[1, 2]);
\echo sqlstate :SQLSTATE
SELECT pgqrs.delete_batch(array[array[:m1]]);
\echo sqlstate :SQLSTATE
SELECT pgqrs.release(array[:m1, NULL]);
\echo sqlstate :SQLSTATE
SELECT pgqrs.release(array[:m1], NULL, array[]::int[]);
\echo sqlstate :SQLSTATE
SELECT pgqrs.replay_dlq('bi_jobs', array[NULL]::bigint[]);
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();
SELECT count(*) AS bi_messages FROM pgqrs.messages m JOIN pgqrs.queues q ON q.id = m.queue_id
 WHERE q.queue_name = 'bi_jobs';

-- the extension's tables refuse what the functions would refuse, too
\set VERBOSITY terse
INSERT INTO pgqrs.queues (queue_name) VALUES ('bad name');
\echo sqlstate :SQLSTATE
INSERT INTO pgqrs.queues (queue_name, max_attempts) VALUES ('bi_direct', 0);
\echo sqlstate :SQLSTATE
UPDATE pgqrs.workers SET status = 'sleeping' WHERE id = :w1;
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();
\set VERBOSITY default
