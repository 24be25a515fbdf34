-- Fills a database running pgqrs 0.1.0 with every state a message and a worker
-- can be in, with grants, and keeps a copy of every row in schema snap.
-- Uses only the 0.1.0 API. Run as the extension's owner.
\set ON_ERROR_STOP 1

SELECT queue_name FROM pgqrs.create_queue('jobs');
SELECT queue_name FROM pgqrs.create_queue('fragile', max_attempts => 1);

SELECT id AS producer FROM pgqrs.register_worker('producer-host', 1, 'jobs') \gset
SELECT id AS consumer FROM pgqrs.register_worker('consumer-host', 2, 'jobs') \gset
SELECT id AS idle FROM pgqrs.register_worker('idle-host', 3, 'jobs') \gset
SELECT id AS gone FROM pgqrs.register_worker('gone-host', 4) \gset
SELECT status FROM pgqrs.suspend_worker(:idle);
SELECT status FROM pgqrs.shutdown_worker(:gone);

-- leased for an hour by the consumer (attempt 1)
SELECT pgqrs.enqueue('jobs', '{"state": "leased"}', worker_id => :producer);
SELECT count(*) AS leased FROM pgqrs.dequeue('jobs', 1, 3600, worker_id => :consumer);

-- archived after its lease
SELECT pgqrs.enqueue('jobs', '{"state": "archived"}', worker_id => :producer) AS archived \gset
SELECT count(*) AS taken FROM pgqrs.dequeue('jobs', 1, 3600, worker_id => :consumer);
SELECT pgqrs.archive(:archived, worker_id => :consumer, attempt => 1) AS archived_ok;

-- waiting, and delayed for an hour
SELECT pgqrs.enqueue('jobs', '{"state": "pending"}');
SELECT * FROM pgqrs.enqueue_batch('jobs', ARRAY['{"state": "pending", "n": 1}', '{"state": "pending", "n": 2}']::jsonb[]);
SELECT pgqrs.enqueue('jobs', '{"state": "delayed"}', delay_seconds => 3600);

-- dead-lettered: its one delivery's lease ran out
SELECT pgqrs.enqueue('fragile', '{"state": "dead"}');
SELECT count(*) AS delivered FROM pgqrs.dequeue('fragile', 1, 1);
SELECT pg_sleep(1.2);
SELECT count(*) AS none_left FROM pgqrs.dequeue('fragile', 1, 1);

SELECT pgqrs.grant_access('pgqrs_upgrade_producer', 'producer');
SELECT pgqrs.grant_access('pgqrs_upgrade_consumer', 'consumer');

DO $check$
BEGIN
    ASSERT (SELECT count(*) FROM pgqrs.dlq('fragile')) = 1, 'the fragile message was not dead-lettered';
END
$check$;

-- every row of the four tables, as JSON, to compare after the update
CREATE SCHEMA snap;
CREATE FUNCTION snap.rows_now() RETURNS TABLE (tbl text, id bigint, data jsonb) LANGUAGE sql AS $rows$
    SELECT 'queues', id, to_jsonb(t) FROM pgqrs.queues t
    UNION ALL SELECT 'workers', id, to_jsonb(t) FROM pgqrs.workers t
    UNION ALL SELECT 'messages', id, to_jsonb(t) FROM pgqrs.messages t
    UNION ALL SELECT 'archive', id, to_jsonb(t) FROM pgqrs.archive t
$rows$;
CREATE TABLE snap.before AS SELECT * FROM snap.rows_now();
