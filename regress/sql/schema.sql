-- The extension as installed: version, verify, comments, where its objects
-- live, a trusted install by a database owner, and CREATE EXTENSION ... SCHEMA.
\set SHOW_CONTEXT never
SELECT current_user AS regress_user, current_database() AS regress_db \gset

-- version() is the installed extension version
SELECT pgqrs.version() = extversion AS same_version FROM pg_extension WHERE extname = 'pgqrs';
SELECT pgqrs.version() ~ '^\d+\.\d+\.\d+$' AS looks_like_a_version;

-- the objects are in schema pgqrs, none in public
SELECT n.nspname, c.relname, c.relkind FROM pg_depend d
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pgqrs'
  JOIN pg_class c ON c.oid = d.objid AND d.classid = 'pg_class'::regclass
  JOIN pg_namespace n ON n.oid = c.relnamespace
 ORDER BY c.relname;
SELECT count(*) AS functions_in_pgqrs FROM pg_proc WHERE pronamespace = 'pgqrs'::regnamespace;
SELECT count(*) AS pgqrs_functions_in_public FROM pg_proc p
  JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pgqrs'
 WHERE p.pronamespace = 'public'::regnamespace;

-- every function has a COMMENT ON, and declares its volatility
SELECT p.oid::regprocedure AS without_comment FROM pg_proc p
 WHERE p.pronamespace = 'pgqrs'::regnamespace AND obj_description(p.oid, 'pg_proc') IS NULL;
SELECT provolatile, string_agg(proname, ', ' ORDER BY proname) AS functions
  FROM pg_proc WHERE pronamespace = 'pgqrs'::regnamespace GROUP BY provolatile ORDER BY 1;
-- none is SECURITY DEFINER: each switches to its owner itself, knowing its caller (docs/access.md)
SELECT count(*) AS security_definer FROM pg_proc
 WHERE pronamespace = 'pgqrs'::regnamespace AND prosecdef;

-- verify: silent on a whole schema
SELECT pgqrs.verify();
-- and names the first object missing or altered (XX001)
BEGIN;
DROP INDEX pgqrs.messages_consumer_idx;
SELECT pgqrs.verify();
\echo sqlstate :SQLSTATE
ROLLBACK;
BEGIN;
ALTER TABLE pgqrs.archive ALTER COLUMN read_ct TYPE bigint;
SELECT pgqrs.verify();
\echo sqlstate :SQLSTATE
ROLLBACK;
BEGIN;
ALTER TABLE pgqrs.workers DROP COLUMN heartbeat_at;
SELECT pgqrs.verify();
\echo sqlstate :SQLSTATE
ROLLBACK;
BEGIN;
ALTER FUNCTION pgqrs.dlq(text) RENAME TO dlq_renamed;
SELECT pgqrs.verify();
\echo sqlstate :SQLSTATE
ROLLBACK;
SELECT pgqrs.verify();

-- a database owner who is not a superuser installs pgqrs (a trusted extension)
-- and uses it
CREATE ROLE regress_pgqrs_owner LOGIN;
CREATE DATABASE regression_pgqrs_owned OWNER regress_pgqrs_owner;
\c regression_pgqrs_owned regress_pgqrs_owner
\set SHOW_CONTEXT never
SELECT rolsuper FROM pg_roles WHERE rolname = current_user;
CREATE EXTENSION pgqrs;
SELECT extowner::regrole AS owner, extversion = pgqrs.version() AS same_version
  FROM pg_extension WHERE extname = 'pgqrs';
SELECT pgqrs.verify();
SELECT queue_name, max_attempts FROM pgqrs.create_queue('owned_jobs', 3);
SELECT id AS w FROM pgqrs.register_worker('owned-host', 1, 'owned_jobs') \gset
SELECT count(*) FROM pgqrs.enqueue_batch('owned_jobs', array['{"a": 1}', '{"a": 2}']::jsonb[], 0, :w);
SELECT payload, read_ct FROM pgqrs.dequeue('owned_jobs', 1, 30, :w);
SELECT pgqrs.archive(id, :w, read_ct) FROM pgqrs.worker_messages(:w);
SELECT total_messages, pending_messages, archived_messages FROM pgqrs.queue_metrics('owned_jobs');
SELECT status FROM pgqrs.shutdown_worker(:w);
SELECT count(*) AS rows_readable FROM pgqrs.messages;
-- a superuser-only setting stays superuser-only
SET pgqrs.max_payload_bytes = 10;
\echo sqlstate :SQLSTATE
-- the owner can drop it again, schema and all
DROP EXTENSION pgqrs;
SELECT to_regnamespace('pgqrs') IS NULL AS schema_gone;
\c :regress_db :regress_user
DROP DATABASE regression_pgqrs_owned;
DROP ROLE regress_pgqrs_owner;

-- CREATE EXTENSION pgqrs SCHEMA other: everything goes there, no schema pgqrs
CREATE DATABASE regression_pgqrs_other;
\c regression_pgqrs_other
\set SHOW_CONTEXT never
CREATE SCHEMA pgqrs_alt;
CREATE EXTENSION pgqrs SCHEMA pgqrs_alt;
SELECT extnamespace::regnamespace AS ext_schema FROM pg_extension WHERE extname = 'pgqrs';
SELECT to_regnamespace('pgqrs') IS NULL AS no_pgqrs_schema;
SELECT count(*) AS functions FROM pg_proc WHERE pronamespace = 'pgqrs_alt'::regnamespace;
SELECT pgqrs_alt.verify();
SELECT queue_name FROM pgqrs_alt.create_queue('alt_jobs');
SELECT pgqrs_alt.enqueue('alt_jobs', '{"alt": true}') AS m \gset
SELECT id = :m AS same_id, read_ct FROM pgqrs_alt.dequeue('alt_jobs', 1, 30);
SELECT pgqrs_alt.archive(:m, NULL, 1);
SELECT count(*) AS archived FROM pgqrs_alt.archive WHERE id = :m;
SELECT total_messages, archived_messages FROM pgqrs_alt.queue_metrics('alt_jobs');
-- verify checks its own schema
BEGIN;
DROP INDEX pgqrs_alt.archive_dead_idx;
SELECT pgqrs_alt.verify();
ROLLBACK;
-- reinstalled elsewhere in the same session, the functions use the new tables
DROP EXTENSION pgqrs;
SELECT to_regnamespace('pgqrs_alt') IS NOT NULL AS named_schema_kept;
CREATE EXTENSION pgqrs;
SELECT extnamespace::regnamespace AS ext_schema FROM pg_extension WHERE extname = 'pgqrs';
SELECT count(*) AS functions FROM pg_proc WHERE pronamespace = 'pgqrs'::regnamespace;
SELECT pgqrs.verify();
SELECT count(*) AS queues FROM pgqrs.list_queues();
SELECT queue_name FROM pgqrs.create_queue('alt_jobs');
SELECT pgqrs.enqueue('alt_jobs', '{"again": true}') IS NOT NULL AS enqueued;
SELECT payload, read_ct FROM pgqrs.dequeue('alt_jobs', 1, 30);
SELECT total_messages, locked_messages FROM pgqrs.queue_metrics('alt_jobs');
-- DROP EXTENSION takes the pgqrs schema it created with it
DROP EXTENSION pgqrs;
SELECT to_regnamespace('pgqrs') IS NULL AS schema_gone;
\c :regress_db :regress_user
DROP DATABASE regression_pgqrs_other;
SELECT pgqrs.verify();
