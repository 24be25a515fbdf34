-- The install runs as a superuser even when a database owner asks for it
-- (trusted): it refuses schemas that someone could have planted objects in,
-- and once installed, objects other roles create in its schema are never used.
\set SHOW_CONTEXT never
SELECT current_user AS regress_user, current_database() AS regress_db \gset
CREATE ROLE regress_evil_owner LOGIN;
CREATE ROLE regress_evil_creator LOGIN;
CREATE DATABASE regression_pgqrs_evil OWNER regress_evil_owner;
GRANT CREATE ON DATABASE regression_pgqrs_evil TO regress_evil_creator;

-- A planted "=" for names that makes its caller a superuser when a superuser evaluates it.
\c regression_pgqrs_evil regress_evil_owner
\set SHOW_CONTEXT never
CREATE FUNCTION public.evil_eq(name, name) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) current_user) THEN
        EXECUTE 'ALTER ROLE regress_evil_owner SUPERUSER';
        EXECUTE 'ALTER ROLE regress_evil_creator SUPERUSER';
    END IF;
    RETURN $1::text OPERATOR(pg_catalog.=) $2::text;
END $$;
GRANT EXECUTE ON FUNCTION public.evil_eq(name, name) TO PUBLIC;

-- the database owner pre-creates schema pgqrs with the operator, then installs
CREATE SCHEMA pgqrs;
CREATE OPERATOR pgqrs.= (LEFTARG = name, RIGHTARG = name, FUNCTION = public.evil_eq);
CREATE EXTENSION pgqrs;
\echo sqlstate :SQLSTATE
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_evil_owner';
-- the same through CREATE EXTENSION ... SCHEMA
CREATE SCHEMA my_schema;
CREATE OPERATOR my_schema.= (LEFTARG = name, RIGHTARG = name, FUNCTION = public.evil_eq);
CREATE EXTENSION pgqrs SCHEMA my_schema;
\echo sqlstate :SQLSTATE
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_evil_owner';
DROP SCHEMA pgqrs, my_schema CASCADE;
-- an empty schema of its own is fine
CREATE SCHEMA own_schema;
CREATE EXTENSION pgqrs SCHEMA own_schema;
SELECT own_schema.verify();
DROP EXTENSION pgqrs;
DROP SCHEMA own_schema;
SELECT count(*) AS extensions FROM pg_extension WHERE extname = 'pgqrs';

-- a role with CREATE on the database pre-creates schema pgqrs with the
-- operator; a superuser installs later and is refused
\c regression_pgqrs_evil regress_evil_creator
\set SHOW_CONTEXT never
CREATE SCHEMA pgqrs;
CREATE OPERATOR pgqrs.= (LEFTARG = name, RIGHTARG = name, FUNCTION = public.evil_eq);
\c regression_pgqrs_evil :regress_user
\set SHOW_CONTEXT never
CREATE EXTENSION pgqrs;
\echo sqlstate :SQLSTATE
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_evil_creator';
DROP SCHEMA pgqrs CASCADE;
-- a schema of the installer in which another role may create objects: refused
CREATE SCHEMA pgqrs;
GRANT CREATE ON SCHEMA pgqrs TO regress_evil_creator;
CREATE EXTENSION pgqrs;
\echo sqlstate :SQLSTATE
DROP SCHEMA pgqrs;

-- Installed by the database owner: the owner may use the tables but not alter
-- them, add triggers or drop them one by one
\c regression_pgqrs_evil regress_evil_owner
\set SHOW_CONTEXT never
CREATE EXTENSION pgqrs;
SELECT n.nspowner::regrole AS schema_owner FROM pg_namespace n WHERE n.nspname = 'pgqrs';
SELECT relname, relowner::regrole = current_user::regrole AS owned_by_installer
  FROM pg_class WHERE relnamespace = 'pgqrs'::regnamespace AND relkind = 'r' ORDER BY relname;
ALTER TABLE pgqrs.workers ALTER hostname TYPE bigint USING 1;
\echo sqlstate :SQLSTATE
CREATE FUNCTION public.noop() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
CREATE TRIGGER planted BEFORE INSERT ON pgqrs.messages FOR EACH ROW EXECUTE FUNCTION public.noop();
\echo sqlstate :SQLSTATE
DROP TABLE pgqrs.archive;
\echo sqlstate :SQLSTATE

-- grants a superuser made are taken back by the owner's revoke_access
\c regression_pgqrs_evil :regress_user
\set SHOW_CONTEXT never
SELECT pgqrs.grant_access('regress_evil_creator', 'admin');
\c regression_pgqrs_evil regress_evil_owner
\set SHOW_CONTEXT never
SELECT pgqrs.revoke_access('regress_evil_creator', 'admin') AS revoked;
SELECT has_table_privilege('regress_evil_creator', 'pgqrs.messages', 'SELECT') AS reads_payloads,
       has_function_privilege('regress_evil_creator', 'pgqrs.purge_queue(text)', 'EXECUTE') AS may_purge;

-- objects planted in the extension's schema, by its owner or by a role it
-- lets create there, are never called by the pgqrs functions
CREATE TABLE public.planted_calls (who name, what text);
GRANT INSERT, SELECT ON public.planted_calls TO PUBLIC;
GRANT CREATE ON SCHEMA pgqrs TO regress_evil_creator;
SELECT pgqrs.grant_access('regress_evil_creator', 'producer');
SELECT pgqrs.grant_access('regress_evil_creator', 'consumer');
SELECT queue_name FROM pgqrs.create_queue('planted');
\c regression_pgqrs_evil regress_evil_creator
\set SHOW_CONTEXT never
CREATE FUNCTION pgqrs.unnest(jsonb[]) RETURNS SETOF jsonb LANGUAGE sql AS $$
    INSERT INTO public.planted_calls VALUES (current_user, 'unnest(jsonb[])');
    SELECT x FROM pg_catalog.unnest($1) x $$;
CREATE FUNCTION pgqrs.unnest(bigint[]) RETURNS SETOF bigint LANGUAGE sql AS $$
    INSERT INTO public.planted_calls VALUES (current_user, 'unnest(bigint[])');
    SELECT x FROM pg_catalog.unnest($1) x $$;
CREATE FUNCTION pgqrs.now() RETURNS timestamptz LANGUAGE sql AS $$
    INSERT INTO public.planted_calls VALUES (current_user, 'now()');
    SELECT pg_catalog.now() $$;
CREATE FUNCTION pgqrs.eq8(bigint, bigint) RETURNS boolean LANGUAGE sql AS $$
    INSERT INTO public.planted_calls VALUES (current_user, '=(bigint, bigint)');
    SELECT $1 OPERATOR(pg_catalog.=) $2 $$;
CREATE OPERATOR pgqrs.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = pgqrs.eq8);
CREATE FUNCTION pgqrs.le_ts(timestamptz, timestamptz) RETURNS boolean LANGUAGE sql AS $$
    INSERT INTO public.planted_calls VALUES (current_user, '<=(timestamptz, timestamptz)');
    SELECT $1 OPERATOR(pg_catalog.<=) $2 $$;
CREATE OPERATOR pgqrs.<= (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = pgqrs.le_ts);
CREATE FUNCTION pgqrs.count_all(int8) RETURNS int8 LANGUAGE sql AS 'SELECT $1 + 1000';
CREATE AGGREGATE pgqrs.count(*) (SFUNC = pgqrs.count_all, STYPE = int8, INITCOND = '0');
SELECT count(*) AS enqueued FROM pgqrs.enqueue_batch('planted', ARRAY['{"a": 1}', '{"a": 2}']::jsonb[]);
SELECT pgqrs.enqueue('planted', '{"a": 3}') > 0 AS enqueued;
SELECT id AS w FROM pgqrs.register_worker('planted-host', 1, 'planted') \gset
SELECT array_agg(id ORDER BY id) AS ids, array_agg(read_ct ORDER BY id) AS attempts
  FROM pgqrs.dequeue('planted', 2, 30, :w) \gset
SELECT count(*) AS archived FROM pgqrs.archive_batch(:'ids'::bigint[], :w, :'attempts'::int[]);
SELECT id AS m FROM pgqrs.dequeue('planted', 1, 30, :w) \gset
SELECT pgqrs.release(ARRAY[:m]::bigint[], :w) AS released;
-- an overload of one of the functions, beside it: grant_access still grants
-- by signature, and the planted one gets nothing
CREATE FUNCTION pgqrs.enqueue(queue_name text, payload text, delay_seconds int DEFAULT 0,
                              worker_id bigint DEFAULT NULL) RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO public.planted_calls VALUES (current_user, 'enqueue(text, text)');
    SELECT -1::bigint $$;
\c regression_pgqrs_evil regress_evil_owner
\set SHOW_CONTEXT never
SELECT pgqrs.grant_access('regress_evil_owner', 'producer', 'planted');
SELECT p.oid::regprocedure AS planted_function, p.proacl IS NULL AS granted_nothing
  FROM pg_proc p WHERE p.pronamespace = 'pgqrs'::regnamespace AND p.proname = 'enqueue'
   AND p.proargtypes[1] = 'text'::regtype;
SELECT total_messages, pending_messages, archived_messages FROM pgqrs.queue_metrics('planted');
SELECT who, what FROM public.planted_calls;
SELECT rolname, rolsuper FROM pg_roles WHERE rolname LIKE 'regress_evil%' ORDER BY rolname;


-- A kept statement plan names its tables by schema name: when the schema is
-- renamed and another takes its old name (its owner can do both when pgqrs
-- was installed into a schema of its own), a session that planned the
-- statements before uses the extension's own tables, never the planted ones.
DROP EXTENSION pgqrs CASCADE;
CREATE SCHEMA own_schema;
CREATE EXTENSION pgqrs SCHEMA own_schema;
SELECT queue_name FROM own_schema.create_queue('renamed');
SELECT own_schema.grant_access('regress_evil_creator', 'monitor', 'renamed');
ALTER SCHEMA own_schema RENAME TO own_real;
CREATE SCHEMA own_schema;
CREATE TABLE own_schema.queues (id bigint, queue_name text);
CREATE TABLE own_schema.grants (role_id regrole, access text, queue_id bigint, granted_at timestamptz);
INSERT INTO own_schema.queues VALUES (1, 'renamed');
SELECT own_real.grant_access('regress_evil_creator', 'producer', 'renamed');
SELECT count(*) AS real_grants FROM own_real.grants WHERE role_id = 'regress_evil_creator'::regrole;
SELECT count(*) AS planted_rows FROM own_schema.grants;
SELECT rolname, rolsuper FROM pg_roles WHERE rolname LIKE 'regress_evil%' ORDER BY rolname;

\c :regress_db :regress_user
DROP DATABASE regression_pgqrs_evil;
DROP ROLE regress_evil_owner, regress_evil_creator;
