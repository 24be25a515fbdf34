-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgqrs UPDATE" to load this file. \quit

-- pgqrs 0.1.0 -> 0.2.0. The result must equal a fresh install of 0.2.0
-- (sql/pgqrs.sql): tests/upgrade/run.sh compares the two. Add each schema
-- change of 0.2.0 below, in the order of sql/pgqrs.sql; new table columns go
-- at the end of their table in sql/pgqrs.sql too, as ALTER TABLE ADD COLUMN
-- puts them there.

-- the objects live in schema pgqrs when the extension was put in "public"
DO $schema$
BEGIN
    IF '@extschema@' = 'public' THEN
        PERFORM pg_catalog.set_config('search_path', 'pgqrs, pg_catalog', true);
    ELSE
        PERFORM pg_catalog.set_config('search_path', '@extschema@, pg_catalog', true);
    END IF;
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

-- Last: every C function of the extension now calls this version's library
-- (MODULE_PATHNAME, pgqrs-0.2.0.so). CREATE OR REPLACE keeps each function's
-- owner, grants and comment; its definition is kept but for the library.
DO $library$
DECLARE
    f record;
BEGIN
    FOR f IN SELECT p.oid, p.probin FROM pg_catalog.pg_proc p
             JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                  AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
                  AND d.objid = p.oid AND d.deptype = 'e'
             JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'pgqrs'
             WHERE p.probin IS NOT NULL AND p.probin <> 'MODULE_PATHNAME' LOOP
        EXECUTE pg_catalog.replace(pg_catalog.pg_get_functiondef(f.oid),
                                   pg_catalog.quote_literal(f.probin),
                                   pg_catalog.quote_literal('MODULE_PATHNAME'));
    END LOOP;
END
$library$;
