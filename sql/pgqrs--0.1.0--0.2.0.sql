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

-- Retries with backoff: the queue's retry policy, each message's next attempt
-- and last error, the metrics of messages waiting for a retry.
ALTER TABLE queues
    ADD COLUMN retry_backoff text NOT NULL DEFAULT 'none'
        CHECK (retry_backoff OPERATOR(pg_catalog.=) ANY (ARRAY['none', 'fixed', 'exponential'])),
    ADD COLUMN retry_delay_seconds double precision NOT NULL DEFAULT 0,
    ADD COLUMN retry_max_delay_seconds double precision NOT NULL DEFAULT 0,
    ADD COLUMN retry_jitter double precision NOT NULL DEFAULT 0;
COMMENT ON COLUMN queues.retry_backoff IS 'the retry policy (none, fixed, exponential): how long a message whose attempt failed waits before the next one; set with set_retry_policy';
ALTER TABLE messages ADD COLUMN retry_at timestamptz, ADD COLUMN last_error text;
COMMENT ON COLUMN messages.retry_at IS 'the next attempt: set when a lease ends unfinished (released, or expired and deferred by the retry policy), NULL while leased';
COMMENT ON COLUMN messages.last_error IS 'the error text of the last failed attempt (release with an error), at most 4096 bytes';
ALTER TABLE archive ADD COLUMN last_error text;
ALTER TYPE queue_metrics ADD ATTRIBUTE retrying_messages bigint, ADD ATTRIBUTE next_retry_at timestamptz;

CREATE FUNCTION set_retry_policy(queue_name text, backoff text, delay_seconds double precision DEFAULT NULL,
                                 max_delay_seconds double precision DEFAULT NULL,
                                 jitter double precision DEFAULT 0)
RETURNS queues AS 'MODULE_PATHNAME', 'pgqrs_set_retry_policy' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION set_retry_policy(text, text, double precision, double precision, double precision) IS 'sets how long a message whose attempt failed waits before the next one: none, fixed or exponential (doubling, capped at max_delay_seconds), shortened by up to jitter';

-- release gains delay_seconds and error. The roles that could call the old
-- one may call the new one; those grants are not initial privileges (as after
-- a fresh install and grant_access), so the initial privileges recorded while
-- granting are put back to the owner's alone.
DO $release$
DECLARE
    old_acl pg_catalog.aclitem[];
    grantee text;
    home oid := pg_catalog.to_regnamespace(pg_catalog.quote_ident(pg_catalog.current_schema()));
    new_release oid;
BEGIN
    SELECT p.proacl INTO old_acl FROM pg_catalog.pg_proc p
     WHERE p.pronamespace OPERATOR(pg_catalog.=) home AND p.proname OPERATOR(pg_catalog.=) 'release';
    DROP FUNCTION release(bigint[], bigint, int[]);
    CREATE FUNCTION release(msg_ids bigint[], worker_id bigint DEFAULT NULL, attempts int[] DEFAULT NULL,
                            delay_seconds int DEFAULT NULL, error text DEFAULT NULL)
    RETURNS bigint AS 'MODULE_PATHNAME', 'pgqrs_release' LANGUAGE C VOLATILE;
    COMMENT ON FUNCTION release(bigint[], bigint, int[], int, text) IS 'ends leases now; the messages are visible again after delay_seconds (NULL: the queue''s retry policy), recording error; returns the count';
    EXECUTE pg_catalog.format('ALTER FUNCTION release(bigint[], bigint, int[], int, text) OWNER TO %s',
                              $n$@extowner@$n$);
    REVOKE ALL ON FUNCTION release(bigint[], bigint, int[], int, text) FROM PUBLIC;
    new_release := 'release(bigint[], bigint, int[], int, text)'::pg_catalog.regprocedure;
    FOR grantee IN SELECT DISTINCT CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                                        ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END
                     FROM pg_catalog.aclexplode(old_acl) a, pg_catalog.pg_proc p
                    WHERE p.oid OPERATOR(pg_catalog.=) new_release
                      AND a.grantee OPERATOR(pg_catalog.<>) p.proowner
                      AND a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE' LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION release(bigint[], bigint, int[], int, text) TO %s',
                                  grantee);
    END LOOP;
    UPDATE pg_catalog.pg_init_privs i
       SET initprivs = ARRAY[pg_catalog.makeaclitem(p.proowner, p.proowner, 'EXECUTE', false)]
      FROM pg_catalog.pg_proc p
     WHERE p.oid OPERATOR(pg_catalog.=) new_release AND i.objoid OPERATOR(pg_catalog.=) p.oid
       AND i.classoid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass;
END
$release$;

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
                    AND p.proname OPERATOR(pg_catalog.=) ANY (ARRAY['grant_access', 'revoke_access', 'set_retry_policy']) LOOP
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
