-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgqrs UPDATE" to load this file. \quit

-- pgqrs 0.1.0 -> 0.2.0. The result must equal a fresh install of 0.2.0
-- (sql/pgqrs.sql): tests/upgrade/run.sh compares the two. Add each schema
-- change of 0.2.0 below, in the order of sql/pgqrs.sql; new table columns go
-- at the end of their table in sql/pgqrs.sql too, as ALTER TABLE ADD COLUMN
-- puts them there.

-- This script runs as a superuser even when the database owner asks for the
-- update (trusted), so, as the install script does, it resolves names with
-- pg_catalog first and pg_temp last, and writes every operator qualified. The
-- objects live in schema pgqrs when the extension was put in "public".
DO $schema$
DECLARE
    home text := CASE WHEN $n$@extschema@$n$ OPERATOR(pg_catalog.=) 'public' THEN 'pgqrs'
                      ELSE $n$@extschema@$n$ END;
BEGIN
    PERFORM pg_catalog.set_config('search_path', home || ', pg_temp', true);
END
$schema$;

-- pg_dump dumps the queues' rows and the positions of their id sequences.
SELECT pg_catalog.pg_extension_config_dump('queues', '');
SELECT pg_catalog.pg_extension_config_dump('workers', '');
SELECT pg_catalog.pg_extension_config_dump('messages', '');
SELECT pg_catalog.pg_extension_config_dump('archive', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('queues', 'id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('workers', 'id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('messages', 'id')::pg_catalog.regclass, '');

-- Security of the install (see docs/access.md): the tables and types go to the
-- superuser running this script, the extension owner keeps the rows. Refused
-- while the tables carry triggers, rules or policies: they would run as
-- whoever changes the rows from then on.
DO $upgrade$
DECLARE
    schema_oid oid := pg_catalog.to_regnamespace(pg_catalog.quote_ident(pg_catalog.current_schema()));
    attached text;
    object text;
BEGIN
    SELECT pg_catalog.string_agg(what, ', ') INTO attached FROM (
        SELECT 'trigger ' OPERATOR(pg_catalog.||) t.tgname AS what
          FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.tgrelid
         WHERE c.relnamespace OPERATOR(pg_catalog.=) schema_oid AND NOT t.tgisinternal
        UNION ALL
        SELECT 'rule ' OPERATOR(pg_catalog.||) r.rulename
          FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) r.ev_class
         WHERE c.relnamespace OPERATOR(pg_catalog.=) schema_oid AND c.relkind OPERATOR(pg_catalog.=) 'r'
        UNION ALL
        SELECT 'policy ' OPERATOR(pg_catalog.||) p.polname
          FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) p.polrelid
         WHERE c.relnamespace OPERATOR(pg_catalog.=) schema_oid) found;
    IF attached IS NOT NULL THEN
        RAISE EXCEPTION 'pgqrs cannot be updated: its tables carry objects it did not create (%)', attached
            USING ERRCODE = '42501', HINT = 'Drop them, then run ALTER EXTENSION pgqrs UPDATE again.';
    END IF;
    FOR object IN SELECT c.oid::pg_catalog.regclass::pg_catalog.text FROM pg_catalog.pg_class c
                  WHERE c.relnamespace OPERATOR(pg_catalog.=) schema_oid
                    AND c.relkind OPERATOR(pg_catalog.=) 'r' LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s OWNER TO CURRENT_USER', object);
    END LOOP;
    FOR object IN SELECT t.oid::pg_catalog.regtype::pg_catalog.text FROM pg_catalog.pg_type t
                  WHERE t.typnamespace OPERATOR(pg_catalog.=) schema_oid
                    AND t.typtype OPERATOR(pg_catalog.=) 'c' AND t.typrelid OPERATOR(pg_catalog.<>) 0
                    AND (SELECT c.relkind FROM pg_catalog.pg_class c
                          WHERE c.oid OPERATOR(pg_catalog.=) t.typrelid) OPERATOR(pg_catalog.=) 'c' LOOP
        EXECUTE pg_catalog.format('ALTER TYPE %s OWNER TO CURRENT_USER', object);
    END LOOP;
END
$upgrade$;
-- defaults as this version defines them, whatever the owner set before
ALTER TABLE queues ALTER created_at SET DEFAULT pg_catalog.now();
ALTER TABLE workers ALTER started_at SET DEFAULT pg_catalog.now(),
                    ALTER heartbeat_at SET DEFAULT pg_catalog.now(),
                    ALTER status SET DEFAULT 'ready';
ALTER TABLE messages ALTER enqueued_at SET DEFAULT pg_catalog.now(), ALTER read_ct SET DEFAULT 0;
ALTER TABLE archive ALTER archived_at SET DEFAULT pg_catalog.now(), ALTER dead_letter SET DEFAULT false;

ALTER TABLE workers ADD COLUMN registered_by regrole;
COMMENT ON COLUMN workers.registered_by IS 'the role that registered the worker: only it (or an admin) may drive or take it over';

CREATE TABLE grants (
    role_id     regrole NOT NULL,
    access      text NOT NULL
                CHECK (access OPERATOR(pg_catalog.=) ANY (ARRAY['producer', 'consumer', 'monitor', 'admin'])),
    queue_id    bigint REFERENCES queues (id) ON DELETE CASCADE,
    granted_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    UNIQUE NULLS NOT DISTINCT (role_id, access, queue_id)
);
COMMENT ON TABLE grants IS 'pgqrs access of roles (role_id 0, shown as -: PUBLIC) to every queue (queue_id NULL) or one; change through grant_access and revoke_access';

-- the roles granted access before keep it, for every queue
INSERT INTO grants (role_id, access)
SELECT DISTINCT a.grantee, k.access
  FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a,
       (VALUES ('enqueue', 'producer'), ('dequeue', 'consumer'), ('queue_metrics', 'monitor'),
               ('purge_queue', 'admin')) AS k(proname, access)
 WHERE p.pronamespace OPERATOR(pg_catalog.=) pg_catalog.to_regnamespace(pg_catalog.quote_ident(pg_catalog.current_schema()))
   AND p.proname OPERATOR(pg_catalog.=) k.proname AND a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE'
   AND a.grantee OPERATOR(pg_catalog.<>) p.proowner;

DROP FUNCTION grant_access(name, text);
CREATE FUNCTION grant_access(role_name name, access text, queue_name text DEFAULT NULL,
                             force boolean DEFAULT false)
RETURNS void AS 'MODULE_PATHNAME', 'pgqrs_grant_access' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION grant_access(name, text, text, boolean) IS 'lets a role produce, consume, monitor or administer (producer, consumer, monitor, admin) every queue, or one queue; PUBLIC only with force';

CREATE FUNCTION revoke_access(role_name name, access text, queue_name text DEFAULT NULL)
RETURNS bigint AS 'MODULE_PATHNAME', 'pgqrs_revoke_access' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION revoke_access(name, text, text) IS 'takes back what grant_access gave (every grant of that kind, or the one of that queue); returns the grants removed';
SELECT pg_catalog.pg_extension_config_dump('grants', '');

-- Recurring schedules: the payload goes into the queue at each time of the
-- cron expression (schedule_run.cpp). next_run_at is the first time not yet
-- enqueued; it moves on in the transaction that enqueues, which is what makes
-- each time enqueued once.
CREATE TABLE schedules (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    schedule_name    text NOT NULL UNIQUE
                     CHECK (schedule_name OPERATOR(pg_catalog.~) '^[A-Za-z0-9_.-]{1,128}$'),
    cron_expression  text NOT NULL,
    time_zone        text NOT NULL,
    queue_name       text NOT NULL,
    payload          jsonb NOT NULL,
    catch_up         boolean NOT NULL,
    paused           boolean NOT NULL DEFAULT false,
    next_run_at      timestamptz NOT NULL,
    last_run_at      timestamptz,
    last_message_id  bigint,
    runs             bigint NOT NULL DEFAULT 0,
    skipped_runs     bigint NOT NULL DEFAULT 0,
    last_error       text,
    created_by       regrole,
    created_at       timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE schedules IS 'pgqrs recurring schedules: payload enqueued to queue_name at each time of cron_expression in time_zone; change through the schedule functions';
CREATE INDEX schedules_due_idx ON schedules (next_run_at) WHERE NOT paused;
SELECT pg_catalog.pg_extension_config_dump('schedules', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('schedules', 'id')::pg_catalog.regclass, '');

-- Schedules ---------------------------------------------------------------

CREATE FUNCTION create_schedule(schedule_name text, cron_expression text, queue_name text,
                                payload jsonb, time_zone text DEFAULT 'UTC',
                                catch_up boolean DEFAULT true)
RETURNS schedules AS 'MODULE_PATHNAME', 'pgqrs_create_schedule' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION create_schedule(text, text, text, jsonb, text, boolean) IS 'enqueues payload to the queue at each time of the cron expression; catch_up: times missed while no runner ran are enqueued (true) or all but the latest skipped (false)';

CREATE FUNCTION list_schedules()
RETURNS SETOF schedules AS 'MODULE_PATHNAME', 'pgqrs_list_schedules' LANGUAGE C STABLE;
COMMENT ON FUNCTION list_schedules() IS 'all schedules, by id, with their next and last run and last error';

CREATE FUNCTION pause_schedule(schedule_name text)
RETURNS schedules AS 'MODULE_PATHNAME', 'pgqrs_pause_schedule' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION pause_schedule(text) IS 'stops a schedule: nothing is enqueued until it is resumed';

CREATE FUNCTION resume_schedule(schedule_name text)
RETURNS schedules AS 'MODULE_PATHNAME', 'pgqrs_resume_schedule' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION resume_schedule(text) IS 'restarts a paused schedule from its first time after now (the times of the pause are not enqueued)';

CREATE FUNCTION delete_schedule(schedule_name text)
RETURNS boolean AS 'MODULE_PATHNAME', 'pgqrs_delete_schedule' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION delete_schedule(text) IS 'deletes a schedule; error P0002 when there is none';

CREATE FUNCTION run_due_schedules()
RETURNS bigint AS 'MODULE_PATHNAME', 'pgqrs_run_due_schedules' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION run_due_schedules() IS 'enqueues every scheduled time that has come, each once whoever else runs it; returns the messages enqueued (the background worker calls it when pgqrs is preloaded)';

CREATE FUNCTION cron_times(cron_expression text, time_zone text DEFAULT 'UTC',
                           after timestamptz DEFAULT pg_catalog.now(), count int DEFAULT 5)
RETURNS SETOF timestamptz AS 'MODULE_PATHNAME', 'pgqrs_cron_times' LANGUAGE C STABLE;
COMMENT ON FUNCTION cron_times(text, text, timestamptz, int) IS 'the next count times of a cron expression after a time, as a schedule would run them';

-- the schedule functions belong to the extension owner; nobody else may call them until granted
DO $schedule_owner$
DECLARE
    object text;
BEGIN
    FOR object IN SELECT p.oid::pg_catalog.regprocedure::pg_catalog.text FROM pg_catalog.pg_proc p
                  WHERE p.pronamespace OPERATOR(pg_catalog.=) pg_catalog.to_regnamespace(pg_catalog.quote_ident(pg_catalog.current_schema()))
                    AND p.proname OPERATOR(pg_catalog.=) ANY (ARRAY['create_schedule', 'list_schedules', 'pause_schedule',
                        'resume_schedule', 'delete_schedule', 'run_due_schedules', 'cron_times']) LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO %s', object, $n$@extowner@$n$);
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', object);
    END LOOP;
END
$schedule_owner$;

-- The extension owner: DML on the tables (SELECT with grant option, for
-- grant_access), the new functions, which nobody else may call until granted.
DO $owner$
DECLARE
    object text;
BEGIN
    FOR object IN SELECT c.oid::pg_catalog.regclass::pg_catalog.text FROM pg_catalog.pg_class c
                  WHERE c.relnamespace OPERATOR(pg_catalog.=) pg_catalog.to_regnamespace(pg_catalog.quote_ident(pg_catalog.current_schema()))
                    AND c.relkind OPERATOR(pg_catalog.=) 'r' LOOP
        EXECUTE pg_catalog.format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE %s TO %s', object,
                                  $n$@extowner@$n$);
        EXECUTE pg_catalog.format('GRANT SELECT ON TABLE %s TO %s WITH GRANT OPTION', object,
                                  $n$@extowner@$n$);
    END LOOP;
    -- the id sequences: pg_dump reads and pg_restore sets their positions
    FOR object IN SELECT c.oid::pg_catalog.regclass::pg_catalog.text FROM pg_catalog.pg_class c
                  WHERE c.relnamespace OPERATOR(pg_catalog.=) pg_catalog.to_regnamespace(pg_catalog.quote_ident(pg_catalog.current_schema()))
                    AND c.relkind OPERATOR(pg_catalog.=) 'S' LOOP
        EXECUTE pg_catalog.format('GRANT SELECT, UPDATE, USAGE ON SEQUENCE %s TO %s', object,
                                  $n$@extowner@$n$);
    END LOOP;
    FOR object IN SELECT p.oid::pg_catalog.regprocedure::pg_catalog.text FROM pg_catalog.pg_proc p
                  WHERE p.pronamespace OPERATOR(pg_catalog.=) pg_catalog.to_regnamespace(pg_catalog.quote_ident(pg_catalog.current_schema()))
                    AND p.proname OPERATOR(pg_catalog.=) ANY (ARRAY['grant_access', 'revoke_access']) LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO %s', object, $n$@extowner@$n$);
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', object);
    END LOOP;
END
$owner$;

-- The functions switch to their owner themselves (spi.cpp, begin_call), so
-- that they know the role that called them: none is SECURITY DEFINER any more.
DO $invoker$
DECLARE
    object text;
    home oid := pg_catalog.to_regnamespace(pg_catalog.quote_ident(pg_catalog.current_schema()));
BEGIN
    FOR object IN SELECT p.oid::pg_catalog.regprocedure::pg_catalog.text FROM pg_catalog.pg_proc p
                  WHERE p.pronamespace OPERATOR(pg_catalog.=) home AND p.prosecdef LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SECURITY INVOKER', object);
    END LOOP;
END
$invoker$;

-- Last: every C function of the extension now calls this version's library
-- (MODULE_PATHNAME, pgqrs-0.2.0.so). CREATE OR REPLACE keeps each function's
-- owner, grants and comment; its definition is kept but for the library.
DO $library$
DECLARE
    f record;
BEGIN
    FOR f IN SELECT p.oid, p.probin FROM pg_catalog.pg_proc p
             JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
                  AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
                  AND d.objid OPERATOR(pg_catalog.=) p.oid AND d.deptype OPERATOR(pg_catalog.=) 'e'
             JOIN pg_catalog.pg_extension e ON e.oid OPERATOR(pg_catalog.=) d.refobjid AND e.extname OPERATOR(pg_catalog.=) 'pgqrs'
             WHERE p.probin IS NOT NULL AND p.probin OPERATOR(pg_catalog.<>) 'MODULE_PATHNAME' LOOP
        EXECUTE pg_catalog.replace(pg_catalog.pg_get_functiondef(f.oid),
                                   pg_catalog.quote_literal(f.probin),
                                   pg_catalog.quote_literal('MODULE_PATHNAME'));
    END LOOP;
END
$library$;
