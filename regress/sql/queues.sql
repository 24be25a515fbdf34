-- Queues: create_queue, set_max_attempts, get_queue, list_queues,
-- delete_queue, purge_queue, purge_archive.
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

-- create_queue returns the new row; max_attempts defaults to 5
SELECT queue_name, max_attempts, created_at <= now() AS created_now
  FROM pgqrs.create_queue('qu_orders');
SELECT queue_name, max_attempts FROM pgqrs.create_queue('qu_Mixed.name-9_x', 3);
-- the longest name allowed: 128 characters
SELECT length(queue_name) FROM pgqrs.create_queue(repeat('n', 128));

-- a second create of the same name: 42710, nothing changes
SELECT pg_temp.save_state();
SELECT pgqrs.create_queue('qu_orders');
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();
SELECT count(*) FROM pgqrs.queues WHERE queue_name = 'qu_orders';

-- get_queue
SELECT q.queue_name, q.max_attempts, q.id = t.id AS same_id
  FROM pgqrs.get_queue('qu_orders') q, pgqrs.queues t WHERE t.queue_name = 'qu_orders';

-- list_queues: every queue, by id
SELECT queue_name, max_attempts FROM pgqrs.list_queues() WHERE queue_name LIKE 'qu\_%';
SELECT count(*) = (SELECT count(*) FROM pgqrs.queues) AS lists_all FROM pgqrs.list_queues();
SELECT bool_and(id > prev) AS ordered_by_id
  FROM (SELECT id, lag(id, 1, 0::bigint) OVER () AS prev FROM pgqrs.list_queues()) s;

-- set_max_attempts
SELECT queue_name, max_attempts FROM pgqrs.set_max_attempts('qu_orders', 2);
SELECT max_attempts FROM pgqrs.queues WHERE queue_name = 'qu_orders';

-- purge_queue deletes the queue's messages (delayed and leased too), not its archive
SELECT count(*) FROM pgqrs.enqueue_batch('qu_orders',
  array['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}']::jsonb[]);
SELECT pgqrs.enqueue('qu_orders', '{"n":5}', 3600) IS NOT NULL AS delayed;
SELECT id AS archived_id FROM pgqrs.dequeue('qu_orders') \gset
SELECT pgqrs.archive(:archived_id);
SELECT count(*) FROM pgqrs.dequeue('qu_orders', 1, 60);
SELECT pgqrs.purge_queue('qu_orders');
SELECT count(*) AS messages FROM pgqrs.messages m JOIN pgqrs.queues q ON q.id = m.queue_id
 WHERE q.queue_name = 'qu_orders';
SELECT count(*) AS archived FROM pgqrs.archive a JOIN pgqrs.queues q ON q.id = a.queue_id
 WHERE q.queue_name = 'qu_orders';
SELECT pgqrs.purge_queue('qu_orders');

-- purge_archive with older_than removes only rows archived longer ago than that
SELECT count(*) FROM pgqrs.enqueue_batch('qu_orders', array['{"n":6}', '{"n":7}']::jsonb[]);
SELECT count(*) FROM pgqrs.archive_batch(
  (SELECT array_agg(id) FROM pgqrs.dequeue('qu_orders', 10)));
UPDATE pgqrs.archive SET archived_at = archived_at - interval '2 hours'
 WHERE id = :archived_id;
SELECT pgqrs.purge_archive('qu_orders', '1 hour');
SELECT count(*) AS archived, bool_or(a.id = :archived_id) AS old_one_left
  FROM pgqrs.archive a JOIN pgqrs.queues q ON q.id = a.queue_id
 WHERE q.queue_name = 'qu_orders';
SELECT pgqrs.purge_archive('qu_orders', '1 hour');
-- without older_than: everything archived
SELECT pgqrs.purge_archive('qu_orders');
SELECT count(*) AS archived FROM pgqrs.archive a JOIN pgqrs.queues q ON q.id = a.queue_id
 WHERE q.queue_name = 'qu_orders';
SELECT pgqrs.purge_archive('qu_orders', NULL);

-- purge_archive removes dead letters too
SELECT pgqrs.enqueue('qu_Mixed.name-9_x', '{"d":1}') AS dead_id \gset
-- three deliveries (max_attempts 3), each lease given back at once
SELECT pgqrs.release(array_agg(id)) FROM pgqrs.dequeue('qu_Mixed.name-9_x', 1, 300);
SELECT pgqrs.release(array_agg(id)) FROM pgqrs.dequeue('qu_Mixed.name-9_x', 1, 300);
SELECT pgqrs.release(array_agg(id)) FROM pgqrs.dequeue('qu_Mixed.name-9_x', 1, 300);
SELECT count(*) FROM pgqrs.dequeue('qu_Mixed.name-9_x');
SELECT count(*) FROM pgqrs.dlq('qu_Mixed.name-9_x');
SELECT pgqrs.purge_archive('qu_Mixed.name-9_x');
SELECT count(*) FROM pgqrs.dlq('qu_Mixed.name-9_x');

-- delete_queue refuses (55006) while a message of the queue is leased
SELECT * FROM pgqrs.register_worker('qu-host', 7001, 'qu_orders') \gset w_
SELECT count(*) FROM pgqrs.enqueue_batch('qu_orders', array['{"n":8}', '{"n":9}']::jsonb[]);
SELECT count(*) FROM pgqrs.dequeue('qu_orders', 1, 300, :w_id);
SELECT pg_temp.save_state();
SELECT pgqrs.delete_queue('qu_orders');
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();
SELECT pgqrs.delete_queue('qu_orders', false);
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();
-- force => true deletes the queue, its messages and archive, stops its workers
SELECT pgqrs.archive(id) FROM pgqrs.dequeue('qu_orders');
SELECT q.id AS orders_id FROM pgqrs.queues q WHERE queue_name = 'qu_orders' \gset
SELECT pgqrs.delete_queue('qu_orders', force => true);
SELECT count(*) AS queues FROM pgqrs.queues WHERE queue_name = 'qu_orders';
SELECT count(*) AS messages FROM pgqrs.messages WHERE queue_id = :orders_id;
SELECT count(*) AS archived FROM pgqrs.archive WHERE queue_id = :orders_id;
SELECT status, shutdown_at IS NOT NULL AS shut_down FROM pgqrs.workers WHERE id = :w_id;
SELECT pgqrs.get_queue('qu_orders');
\echo sqlstate :SQLSTATE

-- a lease that has ended does not block delete_queue
SELECT pgqrs.create_queue('qu_expired') IS NOT NULL AS created;
SELECT pgqrs.enqueue('qu_expired', '{}') IS NOT NULL AS enqueued;
SELECT read_ct FROM pgqrs.dequeue('qu_expired', 1, 1);
SELECT pg_sleep(1.1);
SELECT pgqrs.delete_queue('qu_expired');
-- nor does a released one
SELECT pgqrs.create_queue('qu_released') IS NOT NULL AS created;
SELECT pgqrs.enqueue('qu_released', '{}') IS NOT NULL AS enqueued;
SELECT pgqrs.release(array_agg(id)) FROM pgqrs.dequeue('qu_released', 1, 300);
SELECT pgqrs.delete_queue('qu_released');
-- an idle queue goes at once; deleting it again is an unknown queue
SELECT pgqrs.delete_queue(repeat('n', 128));
SELECT pg_temp.save_state();
SELECT pgqrs.delete_queue(repeat('n', 128));
\echo sqlstate :SQLSTATE
SELECT pg_temp.unchanged();
SELECT queue_name FROM pgqrs.list_queues() WHERE queue_name LIKE 'qu\_%';
