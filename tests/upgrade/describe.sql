-- The schema of the extension pgqrs in this database, one sorted line per
-- property and no OIDs, so that two databases can be compared with diff:
-- every member object, then tables, columns (by position), constraints,
-- indexes, triggers, policies, sequences, types, functions (signature,
-- properties, library, body), owners, grants, initial grants and comments.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only on
SET search_path = pg_catalog;

WITH ext AS (
    SELECT oid, extname, extversion, extowner, extrelocatable, extconfig, extcondition
    FROM pg_extension WHERE extname = 'pgqrs'
), member AS (
    SELECT d.classid, d.objid FROM pg_depend d JOIN ext ON d.refobjid = ext.oid
    WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
), rel AS (  -- member tables, views and sequences, and the row types of member composite types
    SELECT c.* FROM pg_class c JOIN member m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
    UNION
    SELECT c.* FROM pg_type t JOIN member m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
    JOIN pg_class c ON c.oid = t.typrelid
), func AS (
    SELECT p.*, l.lanname FROM pg_proc p JOIN member m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
    JOIN pg_language l ON l.oid = p.prolang
), typ AS (
    SELECT t.* FROM pg_type t JOIN member m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
), nsp AS (
    SELECT n.* FROM pg_namespace n JOIN member m ON m.classid = 'pg_namespace'::regclass AND m.objid = n.oid
)
SELECT line FROM (
    SELECT format('extension %s version %s owner %s relocatable %s',
                  extname, extversion, extowner::regrole, extrelocatable) AS line FROM ext
    UNION ALL
    SELECT format('member %s', pg_describe_object(classid, objid, 0)) FROM member
    UNION ALL
    SELECT format('dumped %s where %L', x.config::regclass, x.condition)
    FROM ext, unnest(ext.extconfig, ext.extcondition) AS x(config, condition)
    UNION ALL
    SELECT format('initial grants %s: %s', pg_describe_object(i.classoid, i.objoid, i.objsubid), i.initprivs)
    FROM pg_init_privs i JOIN member m ON m.classid = i.classoid AND m.objid = i.objoid
    UNION ALL
    SELECT format('initial grants %s: %s', pg_describe_object(i.classoid, i.objoid, i.objsubid), i.initprivs)
    FROM pg_init_privs i JOIN rel c ON i.classoid = 'pg_class'::regclass AND i.objoid = c.oid
    WHERE i.objsubid <> 0
    UNION ALL
    -- schemas
    SELECT format('schema %s owner %s grants %s comment %L', nspname, nspowner::regrole, nspacl,
                  obj_description(oid, 'pg_namespace')) FROM nsp
    UNION ALL
    -- tables, views, sequences, row types
    SELECT format('relation %s kind %s owner %s grants %s options %s persistence %s row security %s/%s comment %L',
                  oid::regclass, relkind, relowner::regrole, relacl, reloptions, relpersistence,
                  relrowsecurity, relforcerowsecurity, obj_description(oid, 'pg_class')) FROM rel
    UNION ALL
    SELECT format('column %s #%s %s %s type %s%s default %s identity %L generated %L collation %s grants %s comment %L',
                  c.oid::regclass, lpad((row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum))::text, 2, '0'), a.attname,
                  CASE WHEN a.attnotnull THEN 'not null' ELSE 'null' END,
                  format_type(a.atttypid, a.atttypmod), CASE WHEN a.attndims > 0 THEN ' (array)' END,
                  pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated,
                  CASE WHEN a.attcollation <> 0 THEN a.attcollation::regcollation::text END, a.attacl,
                  col_description(c.oid, a.attnum))
    FROM rel c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
    UNION ALL
    SELECT format('constraint %s %s: %s%s comment %L', c.oid::regclass, k.conname, pg_get_constraintdef(k.oid),
                  CASE WHEN k.condeferrable THEN ' deferrable' END, obj_description(k.oid, 'pg_constraint'))
    FROM rel c JOIN pg_constraint k ON k.conrelid = c.oid
    UNION ALL
    SELECT format('index %s comment %L', pg_get_indexdef(i.indexrelid), obj_description(i.indexrelid, 'pg_class'))
    FROM rel c JOIN pg_index i ON i.indrelid = c.oid
    UNION ALL
    SELECT format('trigger %s %s', c.oid::regclass, pg_get_triggerdef(t.oid))
    FROM rel c JOIN pg_trigger t ON t.tgrelid = c.oid AND NOT t.tgisinternal
    UNION ALL
    SELECT format('policy %s.%s %s %s to %s using (%s) check (%s)', schemaname, tablename, policyname,
                  cmd, roles, qual, with_check)
    FROM pg_policies p JOIN rel c ON c.relname = p.tablename AND c.relnamespace::regnamespace::text = p.schemaname
    UNION ALL
    -- sequences: of the member tables (identity, serial) or members themselves
    SELECT format('sequence %s type %s start %s increment %s min %s max %s cache %s cycle %s owned by %s',
                  s.seqrelid::regclass, s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmin, s.seqmax,
                  s.seqcache, s.seqcycle,
                  (SELECT format('%s.%s', d.refobjid::regclass, a.attname) FROM pg_depend d
                   JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                   WHERE d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid
                     AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))
    FROM pg_sequence s JOIN pg_class sc ON sc.oid = s.seqrelid
    WHERE sc.oid IN (SELECT oid FROM rel)
       OR EXISTS (SELECT FROM pg_depend d JOIN rel c ON c.oid = d.refobjid
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid
                    AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
    UNION ALL
    -- types: kind, owner, grants, enum labels, domain base and constraints
    SELECT format('type %s kind %s owner %s grants %s comment %L', oid::regtype, typtype, typowner::regrole,
                  typacl, obj_description(oid, 'pg_type')) FROM typ
    UNION ALL
    SELECT format('type %s label #%s %s', e.enumtypid::regtype,
                  row_number() OVER (PARTITION BY e.enumtypid ORDER BY e.enumsortorder), e.enumlabel)
    FROM typ JOIN pg_enum e ON e.enumtypid = typ.oid
    UNION ALL
    SELECT format('type %s domain over %s not null %s default %s', oid::regtype,
                  format_type(typbasetype, typtypmod), typnotnull, typdefault) FROM typ WHERE typtype = 'd'
    UNION ALL
    SELECT format('type %s constraint %s: %s', typ.oid::regtype, k.conname, pg_get_constraintdef(k.oid))
    FROM typ JOIN pg_constraint k ON k.contypid = typ.oid
    UNION ALL
    -- functions: signature with defaults, result, properties, where the code is
    SELECT format('function %s (%s) returns %s kind %s language %s security definer %s volatility %s '
                  'parallel %s strict %s leakproof %s cost %s rows %s config %s library %s symbol %s '
                  'owner %s grants %s comment %L',
                  oid::regprocedure, pg_get_function_arguments(oid), pg_get_function_result(oid), prokind,
                  lanname, prosecdef, provolatile, proparallel, proisstrict, proleakproof, procost, prorows,
                  proconfig, probin, CASE WHEN lanname IN ('c', 'internal') THEN prosrc END,
                  proowner::regrole, proacl, obj_description(oid, 'pg_proc'))
    FROM func
    UNION ALL
    -- the body of each function not in C, line by line
    SELECT format('function %s body %s: %s', oid::regprocedure, lpad(n::text, 4, '0'), body_line)
    FROM func, regexp_split_to_table(prosrc, E'\n') WITH ORDINALITY AS b(body_line, n)
    WHERE lanname NOT IN ('c', 'internal')
) lines
ORDER BY line COLLATE "C";
