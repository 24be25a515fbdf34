-- Producing: enqueue and enqueue_batch.
\set SHOW_CONTEXT never
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

SELECT pgqrs.create_queue('pr_jobs') IS NOT NULL AS created;
SELECT pgqrs.create_queue('pr_other') IS NOT NULL AS created;
SELECT id AS jobs_id FROM pgqrs.get_queue('pr_jobs') \gset

-- enqueue: a pending message, visible now, read_ct 0, no producer
SELECT pgqrs.enqueue('pr_jobs', '{"task": "mail", "to": ["a", "b"]}') AS m1 \gset
SELECT queue_id = :jobs_id AS in_queue, payload, read_ct, vt <= clock_timestamp() AS visible,
       enqueued_at <= now() AS enqueued_now, dequeued_at IS NULL AS never_dequeued,
       producer_worker_id IS NULL AS no_producer, consumer_worker_id IS NULL AS no_consumer
  FROM pgqrs.messages WHERE id = :m1;

-- ids grow
SELECT pgqrs.enqueue('pr_jobs', '{"n": 2}') > :m1 AS newer_id;

-- a delayed message: vt delay_seconds from now
SELECT pgqrs.enqueue('pr_jobs', '{"n": 3}', 600) AS m3 \gset
SELECT vt > now() + interval '590 seconds' AND vt < clock_timestamp() + interval '610 seconds'
       AS vt_in_ten_minutes, dequeued_at IS NULL AS never_dequeued
  FROM pgqrs.messages WHERE id = :m3;

-- a producer worker is recorded
SELECT id AS pw FROM pgqrs.register_worker('pr-host', 7101, 'pr_jobs') \gset
SELECT pgqrs.enqueue('pr_jobs', '{"n": 4}', worker_id => :pw) AS m4 \gset
SELECT producer_worker_id = :pw AS producer_recorded, consumer_worker_id IS NULL AS no_consumer
  FROM pgqrs.messages WHERE id = :m4;
-- a suspended worker may still produce
SELECT status FROM pgqrs.suspend_worker(:pw);
SELECT pgqrs.enqueue('pr_jobs', '{"n": 5}', 0, :pw) IS NOT NULL AS enqueued;
SELECT status FROM pgqrs.resume_worker(:pw);

-- the largest delay allowed: 365 days
SELECT pgqrs.enqueue('pr_jobs', '{"n": 6}', 31536000) AS m6 \gset
SELECT vt > now() + interval '364 days' AS a_year_ahead FROM pgqrs.messages WHERE id = :m6;

-- enqueue_batch: ids in input order, same queue, same vt
SELECT array_agg(id ORDER BY ord) AS batch_ids
  FROM pgqrs.enqueue_batch('pr_jobs',
         array['{"k": 1}', '{"k": 2}', '{"k": 3}', '{"k": 4}', '{"k": 5}']::jsonb[])
       WITH ORDINALITY AS b(id, ord) \gset
SELECT o.ord, m.payload, m.read_ct, m.vt <= clock_timestamp() AS visible
  FROM unnest(:'batch_ids'::bigint[]) WITH ORDINALITY AS o(id, ord)
  JOIN pgqrs.messages m ON m.id = o.id ORDER BY o.ord;
SELECT bool_and(o.id > coalesce(p.id, 0)) AS ids_increase
  FROM unnest(:'batch_ids'::bigint[]) WITH ORDINALITY AS o(id, ord)
  LEFT JOIN unnest(:'batch_ids'::bigint[]) WITH ORDINALITY AS p(id, ord) ON p.ord = o.ord - 1;

-- a batch with a delay and a producer
SELECT count(*) FROM pgqrs.enqueue_batch('pr_other',
  array['{"d": 1}', '{"d": 2}']::jsonb[], 120, :pw);
SELECT count(*) AS messages, bool_and(m.vt > now() + interval '110 seconds') AS delayed,
       bool_and(m.producer_worker_id = :pw) AS producer_recorded
  FROM pgqrs.messages m JOIN pgqrs.queues q ON q.id = m.queue_id WHERE q.queue_name = 'pr_other';
-- a one-element batch
SELECT count(*) FROM pgqrs.enqueue_batch('pr_other', array['{}']::jsonb[]);

-- delayed messages are not handed out before they are due
SELECT count(*) AS delivered FROM pgqrs.dequeue('pr_other', 10);

-- a payload right at pgqrs.max_payload_bytes is accepted
SET pgqrs.max_payload_bytes = 64;
SHOW pgqrs.max_payload_bytes;
SELECT pg_column_size('{"p": "01234567890123456789012345678901234567890123456"}'::jsonb) AS size;
SELECT pgqrs.enqueue('pr_other', '{"p": "01234567890123456789012345678901234567890123456"}')
       IS NOT NULL AS accepted;
SELECT count(*) FROM pgqrs.enqueue_batch('pr_other',
  array['{"p": "01234567890123456789012345678901234567890123456"}', '{}']::jsonb[]);
RESET pgqrs.max_payload_bytes;
SHOW pgqrs.max_payload_bytes;

-- the default limit (1 MiB) takes a payload of nearly 1 MB
SELECT pgqrs.enqueue('pr_other', jsonb_build_object('big', repeat('x', 1000000))) AS big \gset
SELECT length(payload->>'big') FROM pgqrs.messages WHERE id = :big;

-- enqueue is part of the caller's transaction: a rollback leaves no message
SELECT count(*) AS before FROM pgqrs.messages WHERE queue_id = :jobs_id;
BEGIN;
SELECT pgqrs.enqueue('pr_jobs', '{"outbox": true}') IS NOT NULL AS enqueued;
SELECT count(*) FROM pgqrs.enqueue_batch('pr_jobs', array['{"outbox": 2}', '{"outbox": 3}']::jsonb[]);
SELECT count(*) AS inside FROM pgqrs.messages WHERE queue_id = :jobs_id;
ROLLBACK;
SELECT count(*) AS after_rollback FROM pgqrs.messages WHERE queue_id = :jobs_id;
BEGIN;
SELECT pgqrs.enqueue('pr_jobs', '{"outbox": 4}') AS committed_id \gset
COMMIT;
SELECT payload FROM pgqrs.messages WHERE id = :committed_id;

-- a batch is all or nothing: one bad payload and none is stored
SELECT pg_temp.save_state();
SELECT pgqrs.enqueue_batch('pr_jobs', array['{"ok": 1}', '{"ok": 2}', '[3]']::jsonb[]);
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();
