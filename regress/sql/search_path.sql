-- A hostile search_path: a schema of planted look-alike tables, functions,
-- operators and aggregates placed before pg_catalog, and temporary tables of
-- the same names, change nothing the pgqrs functions do. This runs first in
-- its session, so every statement of pgqrs is prepared under it.
\set SHOW_CONTEXT never
CREATE SCHEMA regress_evil;
CREATE TABLE regress_evil.queues (LIKE pgqrs.queues INCLUDING DEFAULTS);
CREATE TABLE regress_evil.messages (LIKE pgqrs.messages);
CREATE TABLE regress_evil.workers (LIKE pgqrs.workers);
CREATE TABLE regress_evil.archive (LIKE pgqrs.archive);
CREATE TABLE regress_evil.topics (LIKE pgqrs.topics);
CREATE TABLE regress_evil.message_groups (LIKE pgqrs.message_groups);
CREATE TABLE regress_evil.subscriptions (LIKE pgqrs.subscriptions);
CREATE TEMP TABLE queues (LIKE pgqrs.queues);
CREATE TEMP TABLE messages (LIKE pgqrs.messages);
CREATE FUNCTION regress_evil.now() RETURNS timestamptz LANGUAGE sql
  AS $$ SELECT '2000-01-01'::timestamptz $$;
CREATE FUNCTION regress_evil.yes(bigint, bigint) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE FUNCTION regress_evil.yes(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE FUNCTION regress_evil.yes(timestamptz, timestamptz) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR regress_evil.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = regress_evil.yes);
CREATE OPERATOR regress_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = regress_evil.yes);
CREATE OPERATOR regress_evil.<= (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = regress_evil.yes);
CREATE OPERATOR regress_evil.> (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = regress_evil.yes);
CREATE AGGREGATE regress_evil.count(*) (SFUNC = int8inc, STYPE = int8, INITCOND = '1000');
CREATE FUNCTION regress_evil.unnest(bigint[]) RETURNS SETOF bigint LANGUAGE sql
  AS 'SELECT 0::bigint';
CREATE FUNCTION regress_evil.format_type(oid, integer) RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$;
CREATE FUNCTION regress_evil.power(double precision, double precision) RETURNS double precision
  LANGUAGE sql AS 'SELECT 0::float8';
CREATE FUNCTION regress_evil.hashint8extended(bigint, bigint) RETURNS bigint LANGUAGE sql AS 'SELECT 0::bigint';
-- what priorities and groups use: key lists, the priorities a queue has had
CREATE FUNCTION regress_evil.unnest(text[]) RETURNS SETOF text LANGUAGE sql AS $$ SELECT 'evil'::text $$;
CREATE FUNCTION regress_evil.generate_series(integer, integer, integer) RETURNS SETOF integer
  LANGUAGE sql AS 'SELECT 0';
CREATE OPERATOR regress_evil.& (LEFTARG = integer, RIGHTARG = integer, FUNCTION = int4pl);
INSERT INTO regress_evil.queues (id, queue_name, created_at, max_attempts)
  VALUES (1, 'sp_jobs', now(), 1);
INSERT INTO regress_evil.topics (id, topic_name, created_at) VALUES (1, 'sp_topic', now());

SET search_path = regress_evil, pg_catalog, public;
SHOW search_path;

-- the calls, with the plain operators spelled out in this file's own queries
SELECT queue_name, max_attempts FROM pgqrs.create_queue('sp_jobs');
SELECT queue_name FROM pgqrs.create_queue('sp_jobs');
\echo sqlstate :SQLSTATE
SELECT queue_name, max_attempts FROM pgqrs.get_queue('sp_jobs');
SELECT pgqrs.enqueue('sp_jobs', '{"n": 1}') AS m1 \gset
SELECT pg_catalog.count(*) FROM pgqrs.enqueue_batch('sp_jobs', array['{"n": 2}', '{"n": 3}']::jsonb[]);
SELECT pgqrs.enqueue('sp_jobs', '{"later": true}', 3600) AS later \gset
SELECT id AS w FROM pgqrs.register_worker('sp-host', 1, 'sp_jobs') \gset
SELECT payload, read_ct FROM pgqrs.dequeue('sp_jobs', 2, 300, :w);
SELECT pgqrs.archive(:m1, :w, 1) AS archived;
SELECT pgqrs.archive(:m1, :w, 1) AS archived_twice;
SELECT pgqrs.release(array[:m1, :later], :w) AS released_none;
SELECT pgqrs.extend_visibility(:later, 10, :w) IS NULL AS not_held;
SELECT total_messages, pending_messages, locked_messages, delayed_messages, archived_messages,
       dead_messages FROM pgqrs.queue_metrics('sp_jobs');
SELECT pg_catalog.count(*) AS held FROM pgqrs.worker_messages(:w);
SELECT pgqrs.verify();
SELECT status FROM pgqrs.shutdown_worker(:w);
SELECT payload, read_ct FROM pgqrs.dequeue('sp_jobs', 5, 300);
SELECT pgqrs.reclaim_messages('sp_jobs', '1 hour') AS reclaimed;
SELECT pg_catalog.count(*) AS dead FROM pgqrs.dlq('sp_jobs');
SELECT pgqrs.get_queue('sp_nope');
\echo sqlstate :SQLSTATE
SELECT queue_name FROM pgqrs.create_queue('sp_fan');
SELECT topic_name FROM pgqrs.create_topic('sp_topic');
SELECT pgqrs.subscribe('sp_topic', 'sp_fan') AS subscribed;
SELECT queue_name FROM pgqrs.publish('sp_topic', '{"fan": 1}');
SELECT topic_name, queue_names FROM pgqrs.list_topics() WHERE topic_name LIKE 'sp\_%';
SELECT inserted FROM pgqrs.enqueue_dedup('sp_fan', '{"k": 1}', 'sp-key');
SELECT inserted FROM pgqrs.enqueue_dedup('sp_fan', '{"k": 2}', 'sp-key');
SELECT pgqrs.unsubscribe('sp_topic', 'sp_fan') AS unsubscribed;
SELECT queue_name FROM pgqrs.create_queue('sp_groups');
SELECT pgqrs.enqueue('sp_groups', '{"n": "a1"}', group_key => 'A') AS a1 \gset
SELECT pgqrs.enqueue('sp_groups', '{"n": "a2"}', group_key => 'A', priority => 9) AS a2 \gset
SELECT pg_catalog.count(*) FROM pgqrs.enqueue_batch('sp_groups', array['{"n": "b1"}', '{"n": "p5"}']::jsonb[],
       priorities => array[0, 5], group_keys => array['B', NULL]);
SELECT payload OPERATOR(pg_catalog.->>) 'n' AS n, priority FROM pgqrs.dequeue('sp_groups', 10, 60);
SELECT pgqrs.archive(:a1);
SELECT payload OPERATOR(pg_catalog.->>) 'n' AS n, priority FROM pgqrs.dequeue('sp_groups', 10, 60);
SELECT pgqrs.set_priority(:a2, 1) AS leased_stays;

-- afterwards, with a normal search_path: the real tables have it all, the
-- planted ones nothing
RESET search_path;
DROP TABLE pg_temp.queues, pg_temp.messages;
SELECT (SELECT count(*) FROM regress_evil.queues) AS evil_queues,
       (SELECT count(*) FROM regress_evil.messages) AS evil_messages,
       (SELECT count(*) FROM regress_evil.workers) AS evil_workers,
       (SELECT count(*) FROM regress_evil.archive) AS evil_archive,
       (SELECT count(*) FROM regress_evil.topics) AS evil_topics,
       (SELECT count(*) FROM regress_evil.subscriptions) AS evil_subscriptions,
       (SELECT count(*) FROM regress_evil.message_groups) AS evil_groups;
SELECT group_key, messages FROM pgqrs.message_groups ORDER BY 1;
SELECT count(*) AS fan_messages FROM pgqrs.messages m JOIN pgqrs.queues q ON q.id = m.queue_id
 WHERE q.queue_name = 'sp_fan';
SELECT q.max_attempts, count(m.id) AS messages, count(*) FILTER (WHERE m.read_ct = 1) AS delivered_once
  FROM pgqrs.queues q LEFT JOIN pgqrs.messages m ON m.queue_id = q.id
 WHERE q.queue_name = 'sp_jobs' GROUP BY q.max_attempts;
SELECT id = :m1 AS is_m1, read_ct, dead_letter FROM pgqrs.archive a
 WHERE a.queue_id = (SELECT id FROM pgqrs.queues WHERE queue_name = 'sp_jobs');
SET client_min_messages = warning;
DROP SCHEMA regress_evil CASCADE;
RESET client_min_messages;
