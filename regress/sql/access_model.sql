-- The access model: each kind of role may call its functions and no other
-- (the matrix below), only on the queues it was granted, and drive only the
-- workers it registered; grant_access refuses what it cannot do cleanly.
\set SHOW_CONTEXT never
CREATE ROLE regress_am_producer;
CREATE ROLE regress_am_producer2;
CREATE ROLE regress_am_consumer;
CREATE ROLE regress_am_monitor;
CREATE ROLE regress_am_admin;
CREATE ROLE regress_am_nobody;
CREATE ROLE regress_am_q1_consumer;
SELECT queue_name FROM pgqrs.create_queue('am_q1');
SELECT queue_name FROM pgqrs.create_queue('am_q2');
SELECT pgqrs.grant_access('regress_am_producer', 'producer');
SELECT pgqrs.grant_access('regress_am_producer2', 'producer');
SELECT pgqrs.grant_access('regress_am_consumer', 'consumer');
SELECT pgqrs.grant_access('regress_am_monitor', 'monitor');
SELECT pgqrs.grant_access('regress_am_admin', 'admin');
SELECT pgqrs.grant_access('regress_am_q1_consumer', 'consumer', 'am_q1');

-- grant_access edges: NULLs (22004), an unknown or empty role (42704), PUBLIC
-- without force (42501), an unknown access (22023), admin of one queue (22023)
SELECT pgqrs.grant_access(NULL, 'producer');
\echo sqlstate :SQLSTATE
SELECT pgqrs.grant_access('regress_am_nobody', NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.grant_access('', 'producer');
\echo sqlstate :SQLSTATE
SELECT pgqrs.grant_access('public', 'admin');
\echo sqlstate :SQLSTATE
SELECT pgqrs.grant_access('PUBLIC', 'monitor');
\echo sqlstate :SQLSTATE
SELECT pgqrs.grant_access('regress_am_nobody', 'root');
\echo sqlstate :SQLSTATE
SELECT pgqrs.grant_access('regress_am_nobody', 'admin', 'am_q1');
\echo sqlstate :SQLSTATE
SELECT pgqrs.grant_access('regress_am_nobody', 'consumer', 'no_such_queue');
\echo sqlstate :SQLSTATE
-- nothing was granted by the refused calls
SELECT count(*) AS public_grants FROM pgqrs.grants WHERE role_id = 0;
SELECT has_function_privilege('public', 'pgqrs.dequeue(text, int, int, bigint)', 'EXECUTE') AS public_may_dequeue;
SELECT has_schema_privilege('regress_am_nobody', 'pgqrs', 'USAGE') AS nobody_has_usage;

-- The privilege matrix: every function called by every kind of role, with
-- arguments that would succeed for the owner; each cell is ok or the SQLSTATE.
SELECT id AS w_owner FROM pgqrs.register_worker('am-owner-host', 1, 'am_q1') \gset
SELECT pgqrs.enqueue('am_q1', '{"m": 1}') AS m1 \gset
SELECT topic_name FROM pgqrs.create_topic('am_t');
SELECT pgqrs.subscribe('am_t', 'am_q2');
SELECT count(*) AS topics_to_delete FROM (
  SELECT pgqrs.create_topic('am_del_regress_am_' || r)
    FROM unnest(ARRAY['producer', 'consumer', 'monitor', 'admin', 'nobody']) r) t;
SELECT schedule_name FROM pgqrs.create_schedule('am_sched', '@yearly', 'am_q2', '{}') \gset
CREATE FUNCTION pg_temp.try(call text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE call;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
CREATE TEMP TABLE calls (fn text, call text);
INSERT INTO calls VALUES
  ('create_queue',      $$SELECT pgqrs.create_queue('am_matrix_' || pg_catalog.md5(pg_catalog.random()::text))$$),
  ('set_max_attempts',  $$SELECT pgqrs.set_max_attempts('am_q1', 5)$$),
  ('set_retry_policy',  $$SELECT pgqrs.set_retry_policy('am_q1', 'none')$$),
  ('get_queue',         $$SELECT pgqrs.get_queue('am_q1')$$),
  ('list_queues',       $$SELECT pgqrs.list_queues()$$),
  ('purge_archive',     $$SELECT pgqrs.purge_archive('am_q2')$$),
  ('enqueue',           $$SELECT pgqrs.enqueue('am_q2', '{"x": 1}')$$),
  ('enqueue_batch',     $$SELECT pgqrs.enqueue_batch('am_q2', ARRAY['{"x": 1}']::jsonb[])$$),
  ('enqueue_dedup',     $$SELECT pgqrs.enqueue_dedup('am_q2', '{"x": 1}', 'am-key')$$),
  ('enqueue_batch_dedup', $$SELECT pgqrs.enqueue_batch_dedup('am_q2', ARRAY['{"x": 1}']::jsonb[], ARRAY['am-key'])$$),
  ('set_dedup_window',  $$SELECT pgqrs.set_dedup_window('am_q2', 0)$$),
  ('set_priority',      $$SELECT pgqrs.set_priority(0, 1)$$),
  ('create_topic',      $$SELECT pgqrs.create_topic('am_matrix_' || pg_catalog.md5(pg_catalog.random()::text))$$),
  ('delete_topic',      $$SELECT pgqrs.delete_topic('am_del_' || current_user)$$),
  ('list_topics',       $$SELECT pgqrs.list_topics()$$),
  ('subscribe',         $$SELECT pgqrs.subscribe('am_t', 'am_q1')$$),
  ('unsubscribe',       $$SELECT pgqrs.unsubscribe('am_t', 'am_q1')$$),
  ('publish',           $$SELECT pgqrs.publish('am_t', '{"x": 1}')$$),
  ('dequeue',           $$SELECT pgqrs.dequeue('am_q2', 1, 1)$$),
  ('dequeue_wait',      $$SELECT pgqrs.dequeue_wait('am_q2', 1, 1, NULL, 0)$$),
  ('archive',           $$SELECT pgqrs.archive(-1)$$),
  ('archive_batch',     $$SELECT pgqrs.archive_batch(ARRAY[-1]::bigint[])$$),
  ('delete',            $$SELECT pgqrs.delete(-1)$$),
  ('delete_batch',      $$SELECT pgqrs.delete_batch(ARRAY[-1]::bigint[])$$),
  ('extend_visibility', $$SELECT pgqrs.extend_visibility(-1, 10)$$),
  ('release',           $$SELECT pgqrs.release(ARRAY[-1]::bigint[])$$),
  ('release delayed',   $$SELECT pgqrs.release(ARRAY[-1]::bigint[], NULL, NULL, 5, 'failed')$$),
  ('register_worker',   $$SELECT pgqrs.register_worker('am-' || current_user, 1, 'am_q2')$$),
  ('list_workers',      $$SELECT pgqrs.list_workers()$$),
  ('worker_messages',   $$SELECT pgqrs.worker_messages(-1)$$),
  ('purge_old_workers', $$SELECT pgqrs.purge_old_workers('1000 years')$$),
  ('reclaim_messages',  $$SELECT pgqrs.reclaim_messages('am_q2', '1000 years')$$),
  ('dlq',               $$SELECT pgqrs.dlq('am_q2')$$),
  ('replay_dlq',        $$SELECT pgqrs.replay_dlq('am_q2')$$),
  ('queue_metrics',     $$SELECT pgqrs.queue_metrics('am_q2')$$),
  ('all_queues_metrics',$$SELECT pgqrs.all_queues_metrics()$$),
  ('system_stats',      $$SELECT pgqrs.system_stats()$$),
  ('worker_stats',      $$SELECT pgqrs.worker_stats('am_q2')$$),
  ('worker_health',     $$SELECT pgqrs.worker_health()$$),
  ('verify',            $$SELECT pgqrs.verify()$$),
  ('claim_frontier_stats', $$SELECT pgqrs.claim_frontier_stats()$$),
  ('reset_claim_frontier', $$SELECT pgqrs.reset_claim_frontier('am_q2')$$),
  ('version',           $$SELECT pgqrs.version()$$),
  ('create_schedule',   $$SELECT pgqrs.create_schedule('am_s_' || pg_catalog.md5(pg_catalog.random()::text), '@yearly', 'am_q2', '{}')$$),
  ('list_schedules',    $$SELECT pgqrs.list_schedules()$$),
  ('pause_schedule',    $$SELECT pgqrs.pause_schedule('am_sched')$$),
  ('resume_schedule',   $$SELECT pgqrs.resume_schedule('am_sched')$$),
  ('delete_schedule',   $$SELECT pgqrs.delete_schedule((pgqrs.create_schedule('am_d_' || pg_catalog.md5(pg_catalog.random()::text), '@yearly', 'am_q2', '{}')).schedule_name)$$),
  ('run_due_schedules', $$SELECT pgqrs.run_due_schedules()$$),
  ('cron_times',        $$SELECT pgqrs.cron_times('@daily')$$),
  ('grant_access',      $$SELECT pgqrs.grant_access('regress_am_nobody', 'monitor')$$),
  ('revoke_access',     $$SELECT pgqrs.revoke_access('regress_am_nobody', 'monitor')$$),
  ('read messages',     $$SELECT count(*) FROM pgqrs.messages$$),
  ('read workers',      $$SELECT count(*) FROM pgqrs.workers$$),
  ('read topics',       $$SELECT count(*) FROM pgqrs.subscriptions$$),
  ('write queues',      $$UPDATE pgqrs.queues SET max_attempts = 5 WHERE false$$);
CREATE TEMP TABLE matrix (fn text, role text, result text);
GRANT ALL ON calls, matrix TO PUBLIC;
DO $$
DECLARE
    r text;
    c record;
BEGIN
    FOREACH r IN ARRAY ARRAY['regress_am_producer', 'regress_am_consumer', 'regress_am_monitor',
                             'regress_am_admin', 'regress_am_nobody'] LOOP
        EXECUTE pg_catalog.format('SET LOCAL ROLE %I', r);
        FOR c IN SELECT * FROM calls LOOP
            INSERT INTO matrix VALUES (c.fn, pg_catalog.replace(r, 'regress_am_', ''), pg_temp.try(c.call));
        END LOOP;
        RESET ROLE;
    END LOOP;
END $$;
SELECT m.fn,
       max(result) FILTER (WHERE role = 'producer') AS producer,
       max(result) FILTER (WHERE role = 'consumer') AS consumer,
       max(result) FILTER (WHERE role = 'monitor') AS monitor,
       max(result) FILTER (WHERE role = 'admin') AS admin,
       max(result) FILTER (WHERE role = 'nobody') AS nobody
  FROM matrix m JOIN (SELECT fn, row_number() OVER () AS n FROM calls) o USING (fn)
 GROUP BY m.fn, o.n ORDER BY o.n;

-- Worker rows belong to the role that registered them
SET ROLE regress_am_producer;
SELECT id AS w1 FROM pgqrs.register_worker('am-host', 7000, 'am_q1') \gset
SELECT pgqrs.heartbeat(:w1) IS NOT NULL AS own_heartbeat;
SELECT pgqrs.enqueue('am_q1', '{"own": true}', 0, :w1) > 0 AS own_worker_enqueue;
RESET ROLE;
SELECT registered_by FROM pgqrs.workers WHERE id = :w1;
SET ROLE regress_am_producer2;
SELECT pgqrs.heartbeat(:w1);
\echo sqlstate :SQLSTATE
SELECT status FROM pgqrs.suspend_worker(:w1);
\echo sqlstate :SQLSTATE
SELECT status FROM pgqrs.shutdown_worker(:w1);
\echo sqlstate :SQLSTATE
SELECT id FROM pgqrs.register_worker('am-host', 7000, 'am_q1');
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue('am_q1', '{"stolen": true}', 0, :w1);
\echo sqlstate :SQLSTATE
RESET ROLE;
SET ROLE regress_am_consumer;
SELECT count(*) FROM pgqrs.dequeue('am_q1', 1, 30, :w1);
\echo sqlstate :SQLSTATE
SELECT pgqrs.archive(:m1, :w1);
\echo sqlstate :SQLSTATE
RESET ROLE;
-- unchanged by the refused calls
SELECT status, registered_by FROM pgqrs.workers WHERE id = :w1;
-- an admin may drive and take over any worker
SET ROLE regress_am_admin;
SELECT status FROM pgqrs.suspend_worker(:w1);
SELECT status, registered_by FROM pgqrs.register_worker('am-host', 7000, 'am_q1');
RESET ROLE;

-- Queue-level grants: a consumer of am_q1 only
SELECT pgqrs.enqueue('am_q2', '{"q": 2}') AS m2 \gset
SET ROLE regress_am_q1_consumer;
SELECT count(*) FROM pgqrs.dequeue('am_q2', 1, 30);
\echo sqlstate :SQLSTATE
SELECT pgqrs.archive(:m2) AS archived_other_queue;
SELECT pgqrs.delete(:m2) AS deleted_other_queue;
SELECT pgqrs.extend_visibility(:m2, 60) IS NULL AS not_extended;
SELECT pgqrs.release(ARRAY[:m2]::bigint[]) AS released;
SELECT payload FROM pgqrs.dequeue('am_q1', 1, 30);
SELECT queue_name FROM pgqrs.list_queues() ORDER BY 1;
SELECT queue_name FROM pgqrs.get_queue('am_q2');
\echo sqlstate :SQLSTATE
RESET ROLE;
SELECT count(*) AS m2_still_there FROM pgqrs.messages WHERE id = :m2;
-- a role granted some queues learns nothing of the others: unknown is 42501 too
SET ROLE regress_am_q1_consumer;
SELECT queue_name FROM pgqrs.get_queue('am_no_such_queue');
\echo sqlstate :SQLSTATE
RESET ROLE;

-- the caller is the role whose code calls pgqrs, as PostgreSQL checks EXECUTE:
-- a SECURITY DEFINER function of a producer of am_q1 gains nothing from
-- being called by an admin or a superuser
CREATE ROLE regress_am_q1_producer;
SELECT pgqrs.grant_access('regress_am_q1_producer', 'producer', 'am_q1');
GRANT CREATE ON SCHEMA public TO regress_am_q1_producer;
SET ROLE regress_am_q1_producer;
CREATE FUNCTION public.am_smuggle() RETURNS bigint LANGUAGE sql SECURITY DEFINER
    AS $$ SELECT pgqrs.enqueue('am_q2', '{"smuggled": true}') $$;
GRANT EXECUTE ON FUNCTION public.am_smuggle() TO regress_am_admin;
RESET ROLE;
SET ROLE regress_am_admin;
SELECT public.am_smuggle();
\echo sqlstate :SQLSTATE
RESET ROLE;
SELECT public.am_smuggle();
\echo sqlstate :SQLSTATE
SELECT count(*) AS smuggled FROM pgqrs.messages WHERE payload ? 'smuggled';
DROP FUNCTION public.am_smuggle();
REVOKE CREATE ON SCHEMA public FROM regress_am_q1_producer;

-- a consumer without a worker id cannot finish or extend a lease held by
-- another role's worker; a message nobody holds any more is not extended
SELECT queue_name FROM pgqrs.create_queue('am_q3');
SELECT pgqrs.grant_access('regress_am_q1_consumer', 'consumer', 'am_q3');
SELECT pgqrs.enqueue('am_q3', '{"lease": 3}') AS m3 \gset
SET ROLE regress_am_q1_consumer;
SELECT id AS wq FROM pgqrs.register_worker('am-q3-host', 7100, 'am_q3') \gset
SELECT id = :m3 AS leased FROM pgqrs.dequeue('am_q3', 1, 600, :wq);
RESET ROLE;
SET ROLE regress_am_consumer;
SELECT pgqrs.archive(:m3) AS archived_others_lease;
SELECT pgqrs.delete(:m3) AS deleted_others_lease;
SELECT pgqrs.release(ARRAY[:m3]::bigint[]) AS released_others_lease;
SELECT pgqrs.extend_visibility(:m3, 60) IS NULL AS not_extended;
RESET ROLE;
SET ROLE regress_am_q1_consumer;
SELECT pgqrs.release(ARRAY[:m3]::bigint[], :wq) AS released_by_holder;
RESET ROLE;
SELECT pgqrs.extend_visibility(:m3, 86400) IS NULL AS nobody_holds_it;
SELECT count(*) AS pending FROM pgqrs.messages WHERE id = :m3 AND vt <= clock_timestamp();

-- "Public" is a role like any other; PUBLIC is the lowercase name only
CREATE ROLE "Public";
SELECT pgqrs.grant_access('Public', 'monitor', 'am_q1');
SELECT has_function_privilege('Public', 'pgqrs.queue_metrics(text)', 'EXECUTE') AS role_public,
       has_function_privilege('regress_am_nobody', 'pgqrs.queue_metrics(text)', 'EXECUTE') AS everyone;
SELECT pgqrs.revoke_access('Public', 'monitor');
-- revoke_access of an unknown queue, grant_access with a NULL force
SELECT pgqrs.revoke_access('regress_am_monitor', 'monitor', 'no_such_queue');
\echo sqlstate :SQLSTATE
SELECT pgqrs.grant_access('regress_am_monitor', 'monitor', NULL, NULL);
\echo sqlstate :SQLSTATE

-- revoke_access: the one queue, then all of that kind
SELECT pgqrs.revoke_access('regress_am_q1_consumer', 'consumer', 'am_q1') AS revoked;
SET ROLE regress_am_q1_consumer;
SELECT count(*) FROM pgqrs.dequeue('am_q1', 1, 30);
\echo sqlstate :SQLSTATE
RESET ROLE;
SELECT pgqrs.revoke_access('regress_am_consumer', 'consumer') AS revoked;
SELECT has_function_privilege('regress_am_consumer', 'pgqrs.dequeue(text, int, int, bigint)', 'EXECUTE') AS may_dequeue;
-- PUBLIC only when forced
SELECT pgqrs.grant_access('public', 'monitor', force => true);
SET ROLE regress_am_nobody;
SELECT queue_name FROM pgqrs.queue_metrics('am_q1');
RESET ROLE;
SELECT pgqrs.revoke_access('public', 'monitor') AS revoked;

SELECT pgqrs.delete_queue('am_q1', true), pgqrs.delete_queue('am_q2', true),
       pgqrs.delete_queue('am_q3', true);
DELETE FROM pgqrs.workers WHERE hostname LIKE 'am-%';
DROP OWNED BY regress_am_producer, regress_am_producer2, regress_am_consumer, regress_am_monitor,
    regress_am_admin, regress_am_nobody, regress_am_q1_consumer, regress_am_q1_producer, "Public";
DROP ROLE regress_am_producer, regress_am_producer2, regress_am_consumer, regress_am_monitor,
    regress_am_admin, regress_am_nobody, regress_am_q1_consumer, regress_am_q1_producer, "Public";
