-- Observation: queue_metrics, all_queues_metrics, system_stats, worker_stats,
-- worker_health.
\set SHOW_CONTEXT never

-- an empty queue
SELECT pgqrs.create_queue('me_jobs', 1) IS NOT NULL AS created;
SELECT queue_name, total_messages, pending_messages, locked_messages, delayed_messages,
       archived_messages, dead_messages, oldest_pending_at IS NULL AS no_pending,
       newest_enqueued_at IS NULL AS no_messages
  FROM pgqrs.queue_metrics('me_jobs');

-- n1 is delivered once (max_attempts 1) and given back
SELECT pgqrs.enqueue('me_jobs', '{"n": 1}') IS NOT NULL AS enqueued;
SELECT pgqrs.release(array_agg(id)) FROM pgqrs.dequeue('me_jobs', 1, 300);
-- exhausted, but pending until a claim reaches it
SELECT total_messages, pending_messages, dead_messages FROM pgqrs.queue_metrics('me_jobs');
SELECT count(*) FROM pgqrs.enqueue_batch('me_jobs',
  array['{"n": 2}', '{"n": 3}', '{"n": 4}', '{"n": 5}', '{"n": 6}', '{"n": 7}']::jsonb[]);
SELECT count(*) FROM pgqrs.enqueue_batch('me_jobs', array['{"d": 1}', '{"d": 2}']::jsonb[], 3600);
-- this claim buries n1 and hands out n2, which is archived; n3 and n4 stay leased
SELECT payload FROM pgqrs.dequeue('me_jobs', 1, 300);
SELECT pgqrs.archive(id) FROM pgqrs.messages WHERE payload = '{"n": 2}';
SELECT payload FROM pgqrs.dequeue('me_jobs', 2, 300) ORDER BY id;
-- 3 pending, 2 leased, 2 delayed, 1 archived, 1 dead
SELECT queue_name, total_messages, pending_messages, locked_messages, delayed_messages,
       archived_messages, dead_messages
  FROM pgqrs.queue_metrics('me_jobs');
-- the time columns
SELECT m.oldest_pending_at = (SELECT min(enqueued_at) FROM pgqrs.messages x
                               WHERE x.queue_id = q.id AND x.vt <= clock_timestamp())
         AS oldest_pending_right,
       m.newest_enqueued_at = (SELECT max(enqueued_at) FROM pgqrs.messages x
                                WHERE x.queue_id = q.id) AS newest_right
  FROM pgqrs.queue_metrics('me_jobs') m, pgqrs.queues q WHERE q.queue_name = 'me_jobs';

-- the counts agree with the tables
SELECT m.total_messages = (SELECT count(*) FROM pgqrs.messages WHERE queue_id = q.id) AS total_right,
       m.archived_messages + m.dead_messages
         = (SELECT count(*) FROM pgqrs.archive WHERE queue_id = q.id) AS archive_right
  FROM pgqrs.queue_metrics('me_jobs') m, pgqrs.queues q WHERE q.queue_name = 'me_jobs';

-- a lease that ends makes its message pending again
SELECT pgqrs.release(array_agg(id)) FROM pgqrs.messages WHERE payload IN ('{"n": 3}', '{"n": 4}');
SELECT pending_messages, locked_messages FROM pgqrs.queue_metrics('me_jobs');

-- all_queues_metrics: one row per queue, the same as queue_metrics
SELECT pgqrs.create_queue('me_empty') IS NOT NULL AS created;
SELECT queue_name, total_messages, pending_messages, locked_messages, delayed_messages,
       archived_messages, dead_messages
  FROM pgqrs.all_queues_metrics() WHERE queue_name LIKE 'me\_%';
SELECT count(*) = (SELECT count(*) FROM pgqrs.queues) AS every_queue FROM pgqrs.all_queues_metrics();
SELECT a.total_messages = m.total_messages AND a.pending_messages = m.pending_messages
       AND a.locked_messages = m.locked_messages AND a.dead_messages = m.dead_messages AS same
  FROM pgqrs.all_queues_metrics() a, pgqrs.queue_metrics('me_jobs') m
 WHERE a.queue_name = 'me_jobs';

-- system_stats: counts over everything, the same as the tables say
SELECT id AS w1 FROM pgqrs.register_worker('me-host', 9001, 'me_jobs') \gset
SELECT id AS w2 FROM pgqrs.register_worker('me-host', 9002, 'me_jobs') \gset
SELECT id AS w3 FROM pgqrs.register_worker('me-host', 9003, 'me_jobs') \gset
SELECT status FROM pgqrs.suspend_worker(:w2);
SELECT status FROM pgqrs.shutdown_worker(:w3);
SELECT s.total_queues = (SELECT count(*) FROM pgqrs.queues) AS queues,
       s.total_workers = (SELECT count(*) FROM pgqrs.workers) AS workers,
       s.ready_workers = (SELECT count(*) FROM pgqrs.workers WHERE status = 'ready') AS ready,
       s.suspended_workers = (SELECT count(*) FROM pgqrs.workers WHERE status = 'suspended') AS suspended,
       s.stopped_workers = (SELECT count(*) FROM pgqrs.workers WHERE status = 'stopped') AS stopped,
       s.total_messages = (SELECT count(*) FROM pgqrs.messages) AS messages,
       s.locked_messages = (SELECT count(*) FROM pgqrs.messages
                             WHERE vt > clock_timestamp() AND dequeued_at IS NOT NULL) AS locked,
       s.archived_messages = (SELECT count(*) FROM pgqrs.archive WHERE NOT dead_letter) AS archived,
       s.dead_messages = (SELECT count(*) FROM pgqrs.archive WHERE dead_letter) AS dead,
       s.schema_version = pgqrs.version() AS version
  FROM pgqrs.system_stats() s;
-- and it moves with them
SELECT total_queues AS q0, total_workers AS w0, suspended_workers AS s0, dead_messages AS d0
  FROM pgqrs.system_stats() \gset
SELECT pgqrs.create_queue('me_more') IS NOT NULL AS created;
SELECT status FROM pgqrs.suspend_worker(:w1);
SELECT total_queues - :q0 AS new_queues, total_workers - :w0 AS new_workers,
       suspended_workers - :s0 AS newly_suspended, dead_messages - :d0 AS new_dead
  FROM pgqrs.system_stats();
SELECT status FROM pgqrs.resume_worker(:w1);

-- worker_stats: the workers of one queue and what they hold
SELECT count(*) FROM pgqrs.dequeue('me_jobs', 2, 300, :w1);
SELECT queue_name, total_workers, ready_workers, suspended_workers, stopped_workers,
       messages_held, oldest_heartbeat_at <= newest_heartbeat_at AS heartbeat_range
  FROM pgqrs.worker_stats('me_jobs');
SELECT queue_name, total_workers, messages_held, oldest_heartbeat_at IS NULL AS no_workers
  FROM pgqrs.worker_stats('me_empty');

-- worker_health: workers not stopped, healthy when they beat within max_age
UPDATE pgqrs.workers SET heartbeat_at = heartbeat_at - interval '10 minutes' WHERE id = :w2;
SELECT worker_id = :w1 AS is_w1, worker_id = :w2 AS is_w2, hostname, port, queue_name, status,
       healthy, messages_held
  FROM pgqrs.worker_health('me_jobs', '5 minutes') ORDER BY worker_id;
SELECT worker_id = :w1 AS is_w1, healthy FROM pgqrs.worker_health('me_jobs') ORDER BY worker_id;
SELECT worker_id = :w1 AS is_w1, healthy
  FROM pgqrs.worker_health('me_jobs', '1 hour') ORDER BY worker_id;
SELECT count(*) FROM pgqrs.worker_health(NULL, '1 hour') WHERE hostname = 'me-host';
SELECT count(*) FROM pgqrs.worker_health() WHERE hostname = 'me-host';
SELECT count(*) FROM pgqrs.worker_health('me_empty', '1 hour');

-- bad input: unknown queue (P0002), negative or NULL max_age
SELECT pgqrs.queue_metrics('me_nope');
\echo sqlstate :SQLSTATE
SELECT pgqrs.worker_stats('me_nope');
\echo sqlstate :SQLSTATE
SELECT pgqrs.worker_health('me_nope', '1 minute');
\echo sqlstate :SQLSTATE
SELECT pgqrs.worker_health('me_jobs', '-1 minute');
\echo sqlstate :SQLSTATE
SELECT pgqrs.worker_health('me_jobs', NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.queue_metrics(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.worker_stats(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.queue_metrics('me jobs');
\echo sqlstate :SQLSTATE
