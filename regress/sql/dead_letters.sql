-- Dead letters: max_attempts, dlq, replay_dlq.
\set SHOW_CONTEXT never
-- ids named in error messages stay the same whatever ran before
SELECT setval(pg_get_serial_sequence('pgqrs.messages', 'id'), 3000) AS first_id_after;
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

SELECT queue_name, max_attempts FROM pgqrs.create_queue('dl_jobs', 2);
SELECT id AS qid FROM pgqrs.get_queue('dl_jobs') \gset

-- m1 fails twice (its lease is given back each time): the third claim buries it
SELECT pgqrs.enqueue('dl_jobs', '{"job": 1}') AS m1 \gset
SELECT read_ct FROM pgqrs.dequeue('dl_jobs', 1, 1);
SELECT pg_sleep(1.1);
SELECT read_ct FROM pgqrs.dequeue('dl_jobs', 1, 300);
SELECT pgqrs.release(array[:m1]);
-- still pending until a dequeue reaches it
SELECT read_ct, vt <= clock_timestamp() AS visible FROM pgqrs.messages WHERE id = :m1;
SELECT count(*) AS delivered FROM pgqrs.dequeue('dl_jobs', 5, 30);
SELECT count(*) AS in_messages FROM pgqrs.messages WHERE id = :m1;
SELECT id = :m1 AS is_m1, queue_id = :qid AS in_queue, payload, read_ct, dead_letter
  FROM pgqrs.archive WHERE id = :m1;
-- dlq lists it
SELECT id = :m1 AS is_m1, payload, read_ct, dead_letter, archived_at <= now() AS archived
  FROM pgqrs.dlq('dl_jobs');
-- it never reaches a consumer again
SELECT count(*) AS delivered FROM pgqrs.dequeue('dl_jobs', 5, 30);

-- a dequeue that meets exhausted messages buries them and goes on to the next:
-- m2 and m3 are exhausted, m4 is fresh; batch_size 1 still gets m4
SELECT pgqrs.enqueue('dl_jobs', '{"job": 2}') AS m2 \gset
SELECT pgqrs.enqueue('dl_jobs', '{"job": 3}') AS m3 \gset
SELECT pgqrs.release(array_agg(id)) FROM pgqrs.dequeue('dl_jobs', 2, 300);
SELECT pgqrs.release(array_agg(id)) FROM pgqrs.dequeue('dl_jobs', 2, 300);
SELECT pgqrs.enqueue('dl_jobs', '{"job": 4}') AS m4 \gset
SELECT id = :m4 AS is_m4, read_ct FROM pgqrs.dequeue('dl_jobs', 1, 300);
SELECT array_agg(id ORDER BY id) = array[:m1, :m2, :m3]::bigint[] AS dead_m1_m2_m3,
       bool_and(read_ct = 2) AS each_delivered_twice
  FROM pgqrs.dlq('dl_jobs');
-- archived messages are not dead letters
SELECT pgqrs.archive(:m4);
SELECT count(*) AS dead FROM pgqrs.dlq('dl_jobs');
SELECT count(*) AS archived FROM pgqrs.archive WHERE queue_id = :qid AND NOT dead_letter;

-- replay_dlq of named ids: back to pending under the same id, read_ct 0
SELECT pgqrs.replay_dlq('dl_jobs', array[:m1]);
SELECT queue_id = :qid AS in_queue, payload, read_ct, dequeued_at IS NULL AS fresh,
       consumer_worker_id IS NULL AS no_holder, vt <= clock_timestamp() AS visible
  FROM pgqrs.messages WHERE id = :m1;
SELECT count(*) AS in_archive FROM pgqrs.archive WHERE id = :m1;
SELECT array_agg(id ORDER BY id) = array[:m2, :m3]::bigint[] AS still_dead FROM pgqrs.dlq('dl_jobs');
-- a replayed message gets max_attempts fresh deliveries
SELECT id = :m1 AS is_m1, read_ct FROM pgqrs.dequeue('dl_jobs', 1, 300);
SELECT pgqrs.archive(:m1);

-- replaying ids that are not dead letters of the queue is an error; nothing moves
SELECT pg_temp.save_state();
SELECT pgqrs.replay_dlq('dl_jobs', array[:m2, :m4]);
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();
SELECT pgqrs.replay_dlq('dl_jobs', array[:m1]);
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();
SELECT pgqrs.replay_dlq('dl_jobs', array[-7]);
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();
-- a dead letter of another queue
SELECT pgqrs.create_queue('dl_other', 1) IS NOT NULL AS created;
SELECT pgqrs.enqueue('dl_other', '{"other": 1}') AS o1 \gset
SELECT pgqrs.release(array_agg(id)) FROM pgqrs.dequeue('dl_other', 1, 300);
SELECT count(*) FROM pgqrs.dequeue('dl_other');
SELECT id = :o1 AS is_o1 FROM pgqrs.dlq('dl_other');
SELECT pg_temp.save_state();
SELECT pgqrs.replay_dlq('dl_jobs', array[:o1]);
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();
-- NULL in the ids, unknown queue
SELECT pgqrs.replay_dlq('dl_jobs', array[:m2, NULL]);
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();
SELECT pgqrs.replay_dlq('dl_nope');
\echo sqlstate :SQLSTATE
SELECT pgqrs.dlq('dl_nope');
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();
-- an empty list replays nothing
SELECT pgqrs.replay_dlq('dl_jobs', '{}');
SELECT pg_temp.unchanged();

-- replay_dlq without ids: every dead letter of that queue only
SELECT pgqrs.replay_dlq('dl_jobs');
SELECT count(*) AS dead FROM pgqrs.dlq('dl_jobs');
SELECT count(*) AS dead_elsewhere FROM pgqrs.dlq('dl_other');
SELECT id = :m2 AS is_m2, id = :m3 AS is_m3, read_ct FROM pgqrs.dequeue('dl_jobs', 5, 300) ORDER BY id;
SELECT pgqrs.replay_dlq('dl_jobs');

-- max_attempts 1: one delivery only
SELECT pgqrs.replay_dlq('dl_other');
SELECT read_ct FROM pgqrs.dequeue('dl_other', 1, 1);
SELECT pg_sleep(1.1);
SELECT count(*) AS delivered FROM pgqrs.dequeue('dl_other');
SELECT id = :o1 AS is_o1, read_ct FROM pgqrs.dlq('dl_other');

-- lowering max_attempts applies at the next claim
SELECT pgqrs.create_queue('dl_lower') IS NOT NULL AS created;
SELECT pgqrs.enqueue('dl_lower', '{"l": 1}') AS l1 \gset
SELECT pgqrs.release(array_agg(id)) FROM pgqrs.dequeue('dl_lower', 1, 300);
SELECT pgqrs.release(array_agg(id)) FROM pgqrs.dequeue('dl_lower', 1, 300);
SELECT max_attempts FROM pgqrs.set_max_attempts('dl_lower', 2);
SELECT count(*) AS delivered FROM pgqrs.dequeue('dl_lower');
SELECT id = :l1 AS is_l1, read_ct FROM pgqrs.dlq('dl_lower');
-- raising it again does not resurrect it; replay does
SELECT max_attempts FROM pgqrs.set_max_attempts('dl_lower', 10);
SELECT count(*) AS delivered FROM pgqrs.dequeue('dl_lower');
SELECT pgqrs.replay_dlq('dl_lower', array[:l1]);
SELECT id = :l1 AS is_l1, read_ct FROM pgqrs.dequeue('dl_lower');

-- metrics count dead letters apart from archived messages
SELECT total_messages, archived_messages, dead_messages FROM pgqrs.queue_metrics('dl_jobs');
SELECT total_messages, archived_messages, dead_messages FROM pgqrs.queue_metrics('dl_other');
