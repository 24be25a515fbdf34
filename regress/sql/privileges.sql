-- Access: the functions run as their owner; a role may call what grant_access
-- gave it and nothing else, and reads no table it was not given.
CREATE ROLE regress_pgqrs_producer;
CREATE ROLE regress_pgqrs_consumer;
CREATE ROLE regress_pgqrs_monitor;
CREATE ROLE regress_pgqrs_nobody;
SELECT pgqrs.create_queue('pr_jobs') IS NOT NULL AS created;
SELECT pgqrs.grant_access('regress_pgqrs_producer', 'producer');
SELECT pgqrs.grant_access('regress_pgqrs_consumer', 'consumer');
SELECT pgqrs.grant_access('regress_pgqrs_monitor', 'monitor');
SELECT pgqrs.grant_access('regress_pgqrs_nobody', 'superpowers');
\echo sqlstate :SQLSTATE
SELECT pgqrs.grant_access('no_such_role_here', 'producer');
\echo sqlstate :SQLSTATE

-- a producer enqueues and registers, and can do nothing else
SET ROLE regress_pgqrs_producer;
SELECT pgqrs.enqueue('pr_jobs', '{"n": 1}') > 0 AS enqueued;
SELECT count(*) FROM pgqrs.enqueue_batch('pr_jobs', ARRAY['{"n": 2}', '{"n": 3}']::jsonb[]);
SELECT status FROM pgqrs.register_worker('pr-host', 9001, 'pr_jobs');
SELECT count(*) FROM pgqrs.dequeue('pr_jobs');
\echo sqlstate :SQLSTATE
SELECT count(*) FROM pgqrs.messages;
\echo sqlstate :SQLSTATE
SELECT count(*) FROM pgqrs.archive;
\echo sqlstate :SQLSTATE
SELECT pgqrs.delete_queue('pr_jobs', true);
\echo sqlstate :SQLSTATE
SELECT pgqrs.purge_queue('pr_jobs');
\echo sqlstate :SQLSTATE
SELECT pgqrs.grant_access('regress_pgqrs_producer', 'admin');
\echo sqlstate :SQLSTATE
RESET ROLE;

-- a consumer takes and finishes messages, and cannot produce
SET ROLE regress_pgqrs_consumer;
SELECT id AS m, payload FROM pgqrs.dequeue('pr_jobs') \gset
SELECT :'payload' AS payload;
SELECT pgqrs.archive(:m) AS archived;
SELECT pgqrs.enqueue('pr_jobs', '{"n": 4}');
\echo sqlstate :SQLSTATE
SELECT count(*) FROM pgqrs.dlq('pr_jobs');
\echo sqlstate :SQLSTATE
RESET ROLE;

-- a monitor reads metrics, queues and workers, never payloads
SET ROLE regress_pgqrs_monitor;
SELECT total_messages, archived_messages FROM pgqrs.queue_metrics('pr_jobs');
SELECT queue_name FROM pgqrs.queues WHERE queue_name = 'pr_jobs';
SELECT hostname, status FROM pgqrs.workers WHERE hostname = 'pr-host';
SELECT count(*) FROM pgqrs.messages;
\echo sqlstate :SQLSTATE
SELECT count(*) FROM pgqrs.dequeue('pr_jobs');
\echo sqlstate :SQLSTATE
RESET ROLE;

-- a role with no grant gets a clean permission error
SET ROLE regress_pgqrs_nobody;
SELECT pgqrs.enqueue('pr_jobs', '{"n": 5}');
\echo sqlstate :SQLSTATE
RESET ROLE;

-- nothing changed by the refused calls: of 3 enqueued, 2 wait and 1 is archived
SELECT total_messages, archived_messages FROM pgqrs.queue_metrics('pr_jobs');

SELECT pgqrs.delete_queue('pr_jobs', true);
DROP OWNED BY regress_pgqrs_producer, regress_pgqrs_consumer, regress_pgqrs_monitor, regress_pgqrs_nobody;
DROP ROLE regress_pgqrs_producer, regress_pgqrs_consumer, regress_pgqrs_monitor, regress_pgqrs_nobody;
