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

CREATE FUNCTION claim_frontier_stats()
RETURNS TABLE(queue_name text, frontier_vt timestamptz, frontier_id bigint, lag_seconds double precision,
              raises bigint, refused_raises bigint, lowerings bigint, resets bigint, found_below bigint)
AS 'MODULE_PATHNAME', 'pgqrs_claim_frontier_stats' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION claim_frontier_stats() IS 'the claim frontier of each queue that has one: where claims start, its lag behind now and its counters (found_below: rows a reset found below it, always 0 unless messages were changed outside pgqrs)';

CREATE FUNCTION reset_claim_frontier(queue_name text DEFAULT NULL)
RETURNS integer AS 'MODULE_PATHNAME', 'pgqrs_reset_claim_frontier' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION reset_claim_frontier(text) IS 'makes the next claims of the queue (every queue when NULL) scan from its start, after messages were changed outside pgqrs; returns the frontiers reset';

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
                    AND p.proname OPERATOR(pg_catalog.=) ANY (ARRAY['grant_access', 'revoke_access', 'claim_frontier_stats', 'reset_claim_frontier']) LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO %s', object, $n$@extowner@$n$);
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', object);
    END LOOP;
END
$owner$;

-- The roles that monitor or administer every queue or some may look at the
-- claim frontier, admins reset it, as grant_access gives them.
DO $frontier$
DECLARE
    g record;
BEGIN
    FOR g IN SELECT DISTINCT CASE WHEN r.role_id::pg_catalog.oid OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                                  ELSE pg_catalog.quote_ident(r.role_id::pg_catalog.text) END AS role_sql,
                             r.access
             FROM grants r WHERE r.access OPERATOR(pg_catalog.=) ANY (ARRAY['monitor', 'admin']) LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION claim_frontier_stats() TO %s', g.role_sql);
        IF g.access OPERATOR(pg_catalog.=) 'admin' THEN
            EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION reset_claim_frontier(text) TO %s', g.role_sql);
        END IF;
    END LOOP;
END
$frontier$;

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
