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
              raises bigint, refused_raises bigint, lowerings bigint, resets bigint, found_below bigint,
              last_audit_seconds double precision, next_audit_at timestamptz)
AS 'MODULE_PATHNAME', 'pgqrs_claim_frontier_stats' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION claim_frontier_stats() IS 'the claim frontier of each queue that has one: where claims start, its lag behind now and its counters (found_below: rows a reset found below it, always 0 unless messages were changed outside pgqrs), and its periodic audit (last_audit_seconds, next_audit_at)';

CREATE FUNCTION reset_claim_frontier(queue_name text DEFAULT NULL)
RETURNS integer AS 'MODULE_PATHNAME', 'pgqrs_reset_claim_frontier' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION reset_claim_frontier(text) IS 'makes the next claims of the queue (every queue when NULL) scan from its start, after messages were changed outside pgqrs; returns the frontiers reset';

-- Dedup keys: a per-queue window, the key of each message and archived
-- message, one message per key in a queue.
ALTER TABLE queues ADD COLUMN dedup_window_seconds int NOT NULL DEFAULT 0
    CHECK (dedup_window_seconds OPERATOR(pg_catalog.>=) 0);
COMMENT ON COLUMN queues.dedup_window_seconds IS 'how long an archived message keeps its dedup_key from being enqueued again (0: only while in the queue)';
ALTER TABLE messages ADD COLUMN dedup_key text;
CREATE UNIQUE INDEX messages_dedup_key_idx ON messages (queue_id, dedup_key)
    WHERE dedup_key IS NOT NULL;
ALTER TABLE archive ADD COLUMN dedup_key text;
CREATE INDEX archive_dedup_key_idx ON archive (queue_id, dedup_key, archived_at)
    WHERE dedup_key IS NOT NULL;

-- Topics.
CREATE TABLE topics (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic_name  text NOT NULL UNIQUE
                CHECK (topic_name OPERATOR(pg_catalog.~) '^[A-Za-z0-9_.-]{1,128}$'),
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE topics IS 'pgqrs topics: publish puts one message into each subscribed queue';

CREATE TABLE subscriptions (
    topic_id      bigint NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    queue_id      bigint NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
    subscribed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (topic_id, queue_id)
);
COMMENT ON TABLE subscriptions IS 'pgqrs queues subscribed to topics; deleting either side deletes the subscription';
CREATE INDEX subscriptions_queue_idx ON subscriptions (queue_id);
SELECT pg_catalog.pg_extension_config_dump('topics', '');
SELECT pg_catalog.pg_extension_config_dump('subscriptions', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('topics', 'id')::pg_catalog.regclass, '');

-- enqueue and enqueue_batch take a dedup key: replaced (their grants are
-- given again below, from the grants table).
DROP FUNCTION enqueue(text, jsonb, int, bigint);
CREATE FUNCTION enqueue(queue_name text, payload jsonb, delay_seconds int DEFAULT 0,
                        worker_id bigint DEFAULT NULL, dedup_key text DEFAULT NULL,
                        priority int DEFAULT 0, group_key text DEFAULT NULL)
RETURNS bigint AS 'MODULE_PATHNAME', 'pgqrs_enqueue' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION enqueue(text, jsonb, int, bigint, text, int, text) IS 'adds a message (a JSON object), visible after delay_seconds, with a priority (0 to 9, higher first) and an ordered group; returns its id, or that of the message holding dedup_key';

DROP FUNCTION enqueue_batch(text, jsonb[], int, bigint);
CREATE FUNCTION enqueue_batch(queue_name text, payloads jsonb[], delay_seconds int DEFAULT 0,
                              worker_id bigint DEFAULT NULL, dedup_keys text[] DEFAULT NULL,
                              priorities int[] DEFAULT NULL, group_keys text[] DEFAULT NULL)
RETURNS SETOF bigint AS 'MODULE_PATHNAME', 'pgqrs_enqueue_batch' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION enqueue_batch(text, jsonb[], int, bigint, text[], int[], text[]) IS 'adds messages in one statement; returns their ids in input order (for a message whose dedup key is held, the holder''s id)';

CREATE FUNCTION enqueue_dedup(queue_name text, payload jsonb, dedup_key text,
                              delay_seconds int DEFAULT 0, worker_id bigint DEFAULT NULL,
                              priority int DEFAULT 0, group_key text DEFAULT NULL,
                              OUT msg_id bigint, OUT inserted boolean)
RETURNS record AS 'MODULE_PATHNAME', 'pgqrs_enqueue_dedup' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION enqueue_dedup(text, jsonb, text, int, bigint, int, text) IS 'enqueue with a dedup key: the new message''s id and inserted = true, or the id of the message holding the key and inserted = false';

CREATE FUNCTION enqueue_batch_dedup(queue_name text, payloads jsonb[], dedup_keys text[],
                                    delay_seconds int DEFAULT 0, worker_id bigint DEFAULT NULL,
                                    priorities int[] DEFAULT NULL, group_keys text[] DEFAULT NULL)
RETURNS TABLE (msg_id bigint, inserted boolean)
AS 'MODULE_PATHNAME', 'pgqrs_enqueue_batch_dedup' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION enqueue_batch_dedup(text, jsonb[], text[], int, bigint, int[], text[]) IS 'enqueue_batch with dedup keys: one row per payload, in input order, saying whether it was inserted';

CREATE FUNCTION set_priority(msg_id bigint, priority int)
RETURNS boolean AS 'MODULE_PATHNAME', 'pgqrs_set_priority' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION set_priority(bigint, int) IS 'gives a message that is not leased another priority (0 to 9); false when no such message';

CREATE FUNCTION set_dedup_window(queue_name text, seconds int)
RETURNS queues AS 'MODULE_PATHNAME', 'pgqrs_set_dedup_window' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION set_dedup_window(text, int) IS 'sets how long an archived message of the queue keeps its dedup key from being enqueued again (0: only while in the queue)';

CREATE FUNCTION create_topic(topic_name text)
RETURNS topics AS 'MODULE_PATHNAME', 'pgqrs_create_topic' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION create_topic(text) IS 'creates a topic; error 42710 when it exists';

CREATE FUNCTION delete_topic(topic_name text)
RETURNS boolean AS 'MODULE_PATHNAME', 'pgqrs_delete_topic' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION delete_topic(text) IS 'deletes a topic and its subscriptions (not the queues or their messages)';

CREATE FUNCTION list_topics()
RETURNS TABLE (topic_name text, created_at timestamptz, queue_names text[])
AS 'MODULE_PATHNAME', 'pgqrs_list_topics' LANGUAGE C STABLE;
COMMENT ON FUNCTION list_topics() IS 'all topics by name, each with the queues subscribed to it (those the caller may see)';

CREATE FUNCTION subscribe(topic_name text, queue_name text)
RETURNS boolean AS 'MODULE_PATHNAME', 'pgqrs_subscribe' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION subscribe(text, text) IS 'subscribes a queue to a topic; false when it was already';

CREATE FUNCTION unsubscribe(topic_name text, queue_name text)
RETURNS boolean AS 'MODULE_PATHNAME', 'pgqrs_unsubscribe' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION unsubscribe(text, text) IS 'ends a subscription; false when there was none';

CREATE FUNCTION publish(topic_name text, payload jsonb, delay_seconds int DEFAULT 0,
                        worker_id bigint DEFAULT NULL)
RETURNS TABLE (queue_name text, msg_id bigint)
AS 'MODULE_PATHNAME', 'pgqrs_publish' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION publish(text, jsonb, int, bigint) IS 'adds one message to each queue subscribed to the topic, in one statement; returns (queue_name, msg_id) by queue name, no row without subscribers';
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

-- Priorities and ordered groups.
ALTER TABLE queues ADD COLUMN priority_levels int NOT NULL DEFAULT 1;
COMMENT ON COLUMN queues.priority_levels IS 'the priorities messages of the queue have had: bit p set for priority p (claims look at these levels only)';
ALTER TABLE messages
    ADD COLUMN priority smallint NOT NULL DEFAULT 0,
    ADD COLUMN group_key text,
    ADD COLUMN held_vt timestamptz;
COMMENT ON COLUMN messages.priority IS '0 to 9 (checked by the functions): visible messages of a higher priority are delivered first';
COMMENT ON COLUMN messages.group_key IS 'the ordered group of the message: one message of a group is delivered at a time, in the order they joined it';
COMMENT ON COLUMN messages.held_vt IS 'set while the message waits behind an earlier one of its group (vt is then a time of its group after the year 100000): the vt it gets when it becomes the head';
ALTER TABLE archive ADD COLUMN priority smallint NOT NULL DEFAULT 0, ADD COLUMN group_key text;
CREATE TABLE message_groups (
    queue_id   bigint NOT NULL,
    group_key  text NOT NULL,
    messages   bigint NOT NULL DEFAULT 0,
    head_id    bigint,
    held_from  bigint,
    version    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (queue_id, group_key)
);
COMMENT ON TABLE message_groups IS 'pgqrs ordered groups with messages in a queue, how many, the head (the only one that can be claimed), the least id the others may have, and how often the row changed; change only through the pgqrs functions';
SELECT pg_catalog.pg_extension_config_dump('message_groups', '');
ALTER TYPE queue_metrics ADD ATTRIBUTE held_messages bigint, ADD ATTRIBUTE groups bigint,
    ADD ATTRIBUTE pending_by_priority jsonb;

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
                    AND p.proname OPERATOR(pg_catalog.=) ANY (ARRAY['grant_access', 'revoke_access', 'enqueue',
                        'enqueue_batch', 'enqueue_dedup', 'enqueue_batch_dedup', 'set_dedup_window',
                        'create_topic', 'delete_topic', 'list_topics', 'subscribe', 'unsubscribe',
                        'publish', 'claim_frontier_stats', 'reset_claim_frontier', 'set_retry_policy',
                        'set_priority']) LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO %s', object, $n$@extowner@$n$);
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', object);
    END LOOP;
END
$owner$;

-- The roles granted access get the new functions of their kinds (and admins
-- SELECT on the new tables), as grant_access gives them. Grants made by this
-- script would be recorded as the objects' initial privileges, which a fresh
-- install has not: those are put back as they were before these grants.
DO $grants$
DECLARE
    home oid := pg_catalog.to_regnamespace(pg_catalog.quote_ident(pg_catalog.current_schema()));
    grant_row record;
    target record;
    initial aclitem[];
BEGIN
    -- in the order the roles were granted list_queues, which every kind gets
    FOR grant_row IN SELECT CASE WHEN g.role_id::oid OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                                 ELSE pg_catalog.quote_ident(r.rolname) END AS role_sql, g.access
                       FROM grants g LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) g.role_id::oid
                      WHERE g.role_id::oid OPERATOR(pg_catalog.=) 0 OR r.oid IS NOT NULL
                      GROUP BY 1, 2, g.role_id
                      ORDER BY (SELECT pg_catalog.min(a.n) FROM pg_catalog.pg_proc p,
                                       pg_catalog.aclexplode(p.proacl) WITH ORDINALITY AS a(grantor, grantee, privilege_type, is_grantable, n)
                                 WHERE p.oid OPERATOR(pg_catalog.=) 'list_queues()'::pg_catalog.regprocedure
                                   AND a.grantee OPERATOR(pg_catalog.=) g.role_id::oid), 2 LOOP
        FOR target IN
            SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass::oid AS class, p.oid,
                   pg_catalog.format('EXECUTE ON FUNCTION %s', p.oid::pg_catalog.regprocedure) AS what
              FROM pg_catalog.pg_proc p
             WHERE p.pronamespace OPERATOR(pg_catalog.=) home
               AND (p.proname OPERATOR(pg_catalog.=) 'list_topics'
                    OR grant_row.access OPERATOR(pg_catalog.=) ANY (ARRAY['monitor', 'admin'])
                       AND p.proname OPERATOR(pg_catalog.=) 'claim_frontier_stats'
                    OR grant_row.access OPERATOR(pg_catalog.=) 'admin'
                       AND p.proname OPERATOR(pg_catalog.=) 'reset_claim_frontier'
                    OR grant_row.access OPERATOR(pg_catalog.=) 'admin' AND p.proname OPERATOR(pg_catalog.=) ANY (ARRAY[
                        'enqueue', 'enqueue_batch', 'enqueue_dedup', 'enqueue_batch_dedup',
                        'set_dedup_window', 'create_topic', 'delete_topic', 'subscribe',
                        'unsubscribe', 'publish', 'create_schedule', 'list_schedules',
                        'pause_schedule', 'resume_schedule', 'delete_schedule',
                        'run_due_schedules', 'cron_times', 'set_retry_policy', 'set_priority'])
                    OR grant_row.access OPERATOR(pg_catalog.=) 'producer' AND p.proname OPERATOR(pg_catalog.=) ANY (ARRAY[
                        'enqueue', 'enqueue_batch', 'enqueue_dedup', 'enqueue_batch_dedup', 'publish',
                        'set_priority']))
            UNION ALL
            SELECT 'pg_catalog.pg_class'::pg_catalog.regclass::oid, c.oid, pg_catalog.format('SELECT ON TABLE %s', c.oid::pg_catalog.regclass)
              FROM pg_catalog.pg_class c
             WHERE grant_row.access OPERATOR(pg_catalog.=) 'admin'
               AND c.oid OPERATOR(pg_catalog.=) ANY (ARRAY['topics'::pg_catalog.regclass, 'subscriptions'::pg_catalog.regclass,
                                                            'schedules'::pg_catalog.regclass, 'message_groups'::pg_catalog.regclass]::oid[])
        LOOP
            initial := (SELECT i.initprivs FROM pg_catalog.pg_init_privs i
                         WHERE i.objoid OPERATOR(pg_catalog.=) target.oid AND i.classoid OPERATOR(pg_catalog.=) target.class
                           AND i.objsubid OPERATOR(pg_catalog.=) 0);
            EXECUTE pg_catalog.format('GRANT %s TO %s', target.what, grant_row.role_sql);
            UPDATE pg_catalog.pg_init_privs SET initprivs = initial
             WHERE objoid OPERATOR(pg_catalog.=) target.oid AND classoid OPERATOR(pg_catalog.=) target.class
               AND objsubid OPERATOR(pg_catalog.=) 0;
        END LOOP;
    END LOOP;
END
$grants$;

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
