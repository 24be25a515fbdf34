-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pgqrs" to load this file. \quit

-- Where the objects go. pgqrs keeps its tables out of "public": when no other
-- schema was named (CREATE EXTENSION puts a non-relocatable extension in
-- "public" then), they go into schema "pgqrs", created here. This script runs
-- as a superuser even when a database owner asked for it (trusted), so it
-- never works in a schema that someone else can change while it runs: an
-- existing target schema must belong to the role installing pgqrs (a
-- superuser may use one that is not empty), and no other role may create
-- objects in it. Names resolve with pg_catalog first and pg_temp last.
DO $install$
DECLARE
    -- the schema and the installing role as SQL identifiers, quoted where needed
    target text := CASE WHEN $n$@extschema@$n$ OPERATOR(pg_catalog.=) 'public' THEN 'pgqrs'
                        ELSE $n$@extschema@$n$ END;
    target_oid oid := pg_catalog.to_regnamespace(target);
    installer text := $n$@extowner@$n$;
    installer_oid oid := pg_catalog.to_regrole(installer);
    installer_is_superuser boolean;
    schema_owner oid;
    others_create text;
BEGIN
    SELECT r.rolsuper INTO installer_is_superuser FROM pg_catalog.pg_roles r
     WHERE r.oid OPERATOR(pg_catalog.=) installer_oid;
    IF target_oid IS NULL THEN
        EXECUTE pg_catalog.format('CREATE SCHEMA %s', target);
        EXECUTE pg_catalog.format('ALTER SCHEMA %s OWNER TO %s', target, installer);
    ELSE
        SELECT n.nspowner INTO schema_owner FROM pg_catalog.pg_namespace n
         WHERE n.oid OPERATOR(pg_catalog.=) target_oid;
        IF schema_owner OPERATOR(pg_catalog.<>) installer_oid THEN
            RAISE EXCEPTION 'pgqrs cannot be installed in schema %: it belongs to role %, not to %',
                target, pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(schema_owner)), installer
                USING ERRCODE = '42501',
                      HINT = 'Drop the schema or give it to the installing role first, or name another schema.';
        END IF;
        SELECT pg_catalog.string_agg(CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                                          ELSE pg_catalog.pg_get_userbyid(a.grantee) END, ', ')
          INTO others_create
          FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
         WHERE n.oid OPERATOR(pg_catalog.=) target_oid
           AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
           AND a.grantee OPERATOR(pg_catalog.<>) schema_owner;
        IF others_create IS NOT NULL THEN
            RAISE EXCEPTION 'pgqrs cannot be installed in schema %: other roles may create objects in it (%)',
                target, others_create
                USING ERRCODE = '42501', HINT = 'REVOKE CREATE on the schema from them first.';
        END IF;
        IF NOT installer_is_superuser AND EXISTS (
            SELECT FROM pg_catalog.pg_depend d
             WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
               AND d.refobjid OPERATOR(pg_catalog.=) target_oid
               AND d.classid OPERATOR(pg_catalog.<>) 'pg_catalog.pg_extension'::pg_catalog.regclass
               AND d.deptype OPERATOR(pg_catalog.=) 'n') THEN
            RAISE EXCEPTION 'pgqrs cannot be installed in schema %: it is not empty', target
                USING ERRCODE = '42501',
                      HINT = 'Install into a new or empty schema, or have a superuser install it.';
        END IF;
    END IF;
    -- pg_catalog is searched first when it is not named
    PERFORM pg_catalog.set_config('search_path', target || ', pg_temp', true);
END
$install$;

-- Tables ------------------------------------------------------------------

CREATE TABLE queues (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue_name    text NOT NULL UNIQUE
                  CHECK (queue_name OPERATOR(pg_catalog.~) '^[A-Za-z0-9_.-]{1,128}$'),
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    max_attempts  int NOT NULL DEFAULT 5 CHECK (max_attempts OPERATOR(pg_catalog.>=) 1),
    dedup_window_seconds int NOT NULL DEFAULT 0
                  CHECK (dedup_window_seconds OPERATOR(pg_catalog.>=) 0),
    retry_backoff           text NOT NULL DEFAULT 'none'
                            CHECK (retry_backoff OPERATOR(pg_catalog.=) ANY (ARRAY['none', 'fixed', 'exponential'])),
    retry_delay_seconds     double precision NOT NULL DEFAULT 0,
    retry_max_delay_seconds double precision NOT NULL DEFAULT 0,
    retry_jitter            double precision NOT NULL DEFAULT 0,
    priority_levels         int NOT NULL DEFAULT 1
);
COMMENT ON TABLE queues IS 'pgqrs queues; change only through the pgqrs functions';
COMMENT ON COLUMN queues.dedup_window_seconds IS 'how long an archived message keeps its dedup_key from being enqueued again (0: only while in the queue)';
COMMENT ON COLUMN queues.priority_levels IS 'the priorities messages of the queue have had: bit p set for priority p (claims look at these levels only)';
COMMENT ON COLUMN queues.retry_backoff IS 'the retry policy (none, fixed, exponential): how long a message whose attempt failed waits before the next one; set with set_retry_policy';

CREATE TABLE workers (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hostname      text NOT NULL,
    port          int NOT NULL,
    queue_id      bigint,
    started_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    heartbeat_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    shutdown_at   timestamptz,
    status        text NOT NULL DEFAULT 'ready'
                  CHECK (status OPERATOR(pg_catalog.=) ANY (ARRAY['ready', 'suspended', 'stopped'])),
    registered_by regrole,
    UNIQUE (hostname, port)
);
COMMENT ON TABLE workers IS 'pgqrs producers and consumers, one row per (hostname, port)';
COMMENT ON COLUMN workers.registered_by IS 'the role that registered the worker: only it (or an admin) may drive or take it over';

-- ids come from one sequence shared with the archive, so a message keeps its id
-- when it is archived or replayed.
CREATE TABLE messages (
    id                  bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    queue_id            bigint NOT NULL,
    payload             jsonb NOT NULL,
    vt                  timestamptz NOT NULL,
    enqueued_at         timestamptz NOT NULL DEFAULT pg_catalog.now(),
    read_ct             int NOT NULL DEFAULT 0,
    dequeued_at         timestamptz,
    producer_worker_id  bigint,
    consumer_worker_id  bigint,
    dedup_key           text,
    retry_at            timestamptz,
    last_error          text,
    priority            smallint NOT NULL DEFAULT 0,
    group_key           text,
    held_vt             timestamptz
);
COMMENT ON TABLE messages IS 'pgqrs messages waiting, delayed or leased; vt is the time they become visible';
COMMENT ON COLUMN messages.retry_at IS 'the next attempt: set when a lease ends unfinished (released, or expired and deferred by the retry policy), NULL while leased';
COMMENT ON COLUMN messages.last_error IS 'the error text of the last failed attempt (release with an error), at most 4096 bytes';
COMMENT ON COLUMN messages.priority IS '0 to 9 (checked by the functions): visible messages of a higher priority are delivered first';
COMMENT ON COLUMN messages.group_key IS 'the ordered group of the message: one message of a group is delivered at a time, in the order they joined it';
COMMENT ON COLUMN messages.held_vt IS 'set while the message waits behind an earlier one of its group (vt is then a time of its group after the year 100000): the vt it gets when it becomes the head';
-- the claim scan: visible messages of one queue, oldest first; leased rows
-- (vt in the future) lie past the range the scan walks
CREATE INDEX messages_queue_vt_idx ON messages (queue_id, vt, id);
CREATE INDEX messages_consumer_idx ON messages (consumer_worker_id)
    WHERE consumer_worker_id IS NOT NULL;
-- one message per key in a queue; rows without a key get no entry (a claim
-- that moves such a row adds nothing here)
CREATE UNIQUE INDEX messages_dedup_key_idx ON messages (queue_id, dedup_key)
    WHERE dedup_key IS NOT NULL;

CREATE TABLE archive (
    id                  bigint PRIMARY KEY,
    queue_id            bigint NOT NULL,
    payload             jsonb NOT NULL,
    vt                  timestamptz NOT NULL,
    enqueued_at         timestamptz NOT NULL,
    read_ct             int NOT NULL,
    dequeued_at         timestamptz,
    producer_worker_id  bigint,
    consumer_worker_id  bigint,
    archived_at         timestamptz NOT NULL DEFAULT pg_catalog.now(),
    dead_letter         boolean NOT NULL DEFAULT false,
    dedup_key           text,
    last_error          text,
    priority            smallint NOT NULL DEFAULT 0,
    group_key           text
);
COMMENT ON TABLE archive IS 'pgqrs messages done (archived) or dead-lettered (dead_letter = true), with their original id';
CREATE INDEX archive_queue_archived_idx ON archive (queue_id, archived_at);
CREATE INDEX archive_dead_idx ON archive (queue_id, id) WHERE dead_letter;
-- the dedup window: archived messages of one key, latest last
CREATE INDEX archive_dedup_key_idx ON archive (queue_id, dedup_key, archived_at)
    WHERE dedup_key IS NOT NULL;

CREATE TABLE grants (
    role_id     regrole NOT NULL,
    access      text NOT NULL
                CHECK (access OPERATOR(pg_catalog.=) ANY (ARRAY['producer', 'consumer', 'monitor', 'admin'])),
    queue_id    bigint REFERENCES queues (id) ON DELETE CASCADE,
    granted_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    UNIQUE NULLS NOT DISTINCT (role_id, access, queue_id)
);
COMMENT ON TABLE grants IS 'pgqrs access of roles (role_id 0, shown as -: PUBLIC) to every queue (queue_id NULL) or one; change through grant_access and revoke_access';

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

-- Ordered groups: one row per group with messages in a queue. Every change of
-- a group's members locks its row first (groups.cpp), which orders them. No
-- foreign key: its trigger would run a query per change of a row; the
-- functions that delete a queue or its messages delete its groups.
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

-- pg_dump dumps the rows of these tables and the positions of their id
-- sequences (CREATE EXTENSION alone leaves them empty and at 1). The install
-- script inserts no rows, so nothing restored is inserted twice.
SELECT pg_catalog.pg_extension_config_dump('queues', '');
SELECT pg_catalog.pg_extension_config_dump('workers', '');
SELECT pg_catalog.pg_extension_config_dump('messages', '');
SELECT pg_catalog.pg_extension_config_dump('archive', '');
SELECT pg_catalog.pg_extension_config_dump('grants', '');
SELECT pg_catalog.pg_extension_config_dump('topics', '');
SELECT pg_catalog.pg_extension_config_dump('subscriptions', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('queues', 'id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('workers', 'id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('messages', 'id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('topics', 'id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump('schedules', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('schedules', 'id')::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump('message_groups', '');

-- Result types ------------------------------------------------------------

CREATE TYPE queue_metrics AS (
    queue_name          text,
    total_messages      bigint,
    pending_messages    bigint,
    locked_messages     bigint,
    delayed_messages    bigint,
    archived_messages   bigint,
    dead_messages       bigint,
    oldest_pending_at   timestamptz,
    newest_enqueued_at  timestamptz,
    retrying_messages   bigint,
    next_retry_at       timestamptz,
    held_messages       bigint,
    groups              bigint,
    pending_by_priority jsonb
);

CREATE TYPE system_stats AS (
    total_queues        bigint,
    total_workers       bigint,
    ready_workers       bigint,
    suspended_workers   bigint,
    stopped_workers     bigint,
    total_messages      bigint,
    locked_messages     bigint,
    archived_messages   bigint,
    dead_messages       bigint,
    schema_version      text
);

CREATE TYPE worker_stats AS (
    queue_name          text,
    total_workers       bigint,
    ready_workers       bigint,
    suspended_workers   bigint,
    stopped_workers     bigint,
    messages_held       bigint,
    oldest_heartbeat_at timestamptz,
    newest_heartbeat_at timestamptz
);

CREATE TYPE worker_health AS (
    worker_id           bigint,
    hostname            text,
    port                int,
    queue_name          text,
    status              text,
    heartbeat_at        timestamptz,
    healthy             boolean,
    messages_held       bigint
);

-- Queues ------------------------------------------------------------------

CREATE FUNCTION create_queue(queue_name text, max_attempts int DEFAULT 5)
RETURNS queues AS 'MODULE_PATHNAME', 'pgqrs_create_queue' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION create_queue(text, int) IS 'creates a queue; error 42710 when it exists';

CREATE FUNCTION set_max_attempts(queue_name text, max_attempts int)
RETURNS queues AS 'MODULE_PATHNAME', 'pgqrs_set_max_attempts' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION set_max_attempts(text, int) IS 'sets how many deliveries a message of the queue gets before it is dead-lettered';

CREATE FUNCTION set_retry_policy(queue_name text, backoff text, delay_seconds double precision DEFAULT NULL,
                                 max_delay_seconds double precision DEFAULT NULL,
                                 jitter double precision DEFAULT 0)
RETURNS queues AS 'MODULE_PATHNAME', 'pgqrs_set_retry_policy' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION set_retry_policy(text, text, double precision, double precision, double precision) IS 'sets how long a message whose attempt failed waits before the next one: none, fixed or exponential (doubling, capped at max_delay_seconds), shortened by up to jitter';

CREATE FUNCTION get_queue(queue_name text)
RETURNS queues AS 'MODULE_PATHNAME', 'pgqrs_get_queue' LANGUAGE C STABLE;
COMMENT ON FUNCTION get_queue(text) IS 'the queue of that name; error P0002 when there is none';

CREATE FUNCTION list_queues()
RETURNS SETOF queues AS 'MODULE_PATHNAME', 'pgqrs_list_queues' LANGUAGE C STABLE;
COMMENT ON FUNCTION list_queues() IS 'all queues, by id';

CREATE FUNCTION delete_queue(queue_name text, force boolean DEFAULT false)
RETURNS boolean AS 'MODULE_PATHNAME', 'pgqrs_delete_queue' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION delete_queue(text, boolean) IS 'deletes a queue with its messages and archive; refuses while live leases exist unless forced';

CREATE FUNCTION purge_queue(queue_name text)
RETURNS bigint AS 'MODULE_PATHNAME', 'pgqrs_purge_queue' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION purge_queue(text) IS 'deletes every message of the queue (not its archive); returns the count';

CREATE FUNCTION purge_archive(queue_name text, older_than interval DEFAULT NULL)
RETURNS bigint AS 'MODULE_PATHNAME', 'pgqrs_purge_archive' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION purge_archive(text, interval) IS 'deletes archived messages of the queue (those archived longer ago than older_than, when given); returns the count';

-- Producing ---------------------------------------------------------------

CREATE FUNCTION enqueue(queue_name text, payload jsonb, delay_seconds int DEFAULT 0,
                        worker_id bigint DEFAULT NULL, dedup_key text DEFAULT NULL,
                        priority int DEFAULT 0, group_key text DEFAULT NULL)
RETURNS bigint AS 'MODULE_PATHNAME', 'pgqrs_enqueue' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION enqueue(text, jsonb, int, bigint, text, int, text) IS 'adds a message (a JSON object), visible after delay_seconds, with a priority (0 to 9, higher first) and an ordered group; returns its id, or that of the message holding dedup_key';

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

-- Topics ------------------------------------------------------------------

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

-- Consuming ---------------------------------------------------------------

-- The claim's plan is made once per backend for any batch size and queue, and
-- with LIMIT unknown the planner would take a tenth of the table as the rows to
-- fetch: a table holding a big backlog (of any queue) then gets a full scan and
-- a sort per dequeue. These settings leave the ordered index scan the only choice.
CREATE FUNCTION dequeue(queue_name text, batch_size int DEFAULT 1, lock_seconds int DEFAULT 5,
                        worker_id bigint DEFAULT NULL)
RETURNS SETOF messages AS 'MODULE_PATHNAME', 'pgqrs_dequeue' LANGUAGE C VOLATILE
SET enable_seqscan = off SET enable_bitmapscan = off;
COMMENT ON FUNCTION dequeue(text, int, int, bigint) IS 'leases up to batch_size visible messages for lock_seconds, oldest first; read_ct is the attempt';

CREATE FUNCTION dequeue_wait(queue_name text, batch_size int DEFAULT 1, lock_seconds int DEFAULT 5,
                             worker_id bigint DEFAULT NULL, wait_seconds int DEFAULT 30)
RETURNS SETOF messages AS 'MODULE_PATHNAME', 'pgqrs_dequeue_wait' LANGUAGE C VOLATILE
SET enable_seqscan = off SET enable_bitmapscan = off;
COMMENT ON FUNCTION dequeue_wait(text, int, int, bigint, int) IS 'dequeue that waits up to wait_seconds for a message; returns as soon as one is leased';

CREATE FUNCTION archive(msg_id bigint, worker_id bigint DEFAULT NULL, attempt int DEFAULT NULL)
RETURNS boolean AS 'MODULE_PATHNAME', 'pgqrs_archive' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION archive(bigint, bigint, int) IS 'moves a message to the archive; with worker_id / attempt only for that lease holder and attempt';

CREATE FUNCTION archive_batch(msg_ids bigint[], worker_id bigint DEFAULT NULL, attempts int[] DEFAULT NULL)
RETURNS SETOF bigint AS 'MODULE_PATHNAME', 'pgqrs_archive_batch' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION archive_batch(bigint[], bigint, int[]) IS 'archives messages; returns the ids archived';

CREATE FUNCTION delete(msg_id bigint, worker_id bigint DEFAULT NULL, attempt int DEFAULT NULL)
RETURNS boolean AS 'MODULE_PATHNAME', 'pgqrs_delete' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION delete(bigint, bigint, int) IS 'deletes a message for good; with worker_id / attempt only for that lease holder and attempt';

CREATE FUNCTION delete_batch(msg_ids bigint[], worker_id bigint DEFAULT NULL, attempts int[] DEFAULT NULL)
RETURNS SETOF bigint AS 'MODULE_PATHNAME', 'pgqrs_delete_batch' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION delete_batch(bigint[], bigint, int[]) IS 'deletes messages; returns the ids deleted';

CREATE FUNCTION extend_visibility(msg_id bigint, seconds int, worker_id bigint DEFAULT NULL,
                                  attempt int DEFAULT NULL)
RETURNS timestamptz AS 'MODULE_PATHNAME', 'pgqrs_extend_visibility' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION extend_visibility(bigint, int, bigint, int) IS 'sets the lease to end seconds from now; returns the new vt, or NULL when the caller does not hold the lease';

CREATE FUNCTION release(msg_ids bigint[], worker_id bigint DEFAULT NULL, attempts int[] DEFAULT NULL,
                        delay_seconds int DEFAULT NULL, error text DEFAULT NULL)
RETURNS bigint AS 'MODULE_PATHNAME', 'pgqrs_release' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION release(bigint[], bigint, int[], int, text) IS 'ends leases now; the messages are visible again after delay_seconds (NULL: the queue''s retry policy), recording error; returns the count';

-- Workers -----------------------------------------------------------------

CREATE FUNCTION register_worker(hostname text, port int, queue_name text DEFAULT NULL)
RETURNS workers AS 'MODULE_PATHNAME', 'pgqrs_register_worker' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION register_worker(text, int, text) IS 'registers a worker, or takes over the row of the same (hostname, port)';

CREATE FUNCTION get_worker(worker_id bigint)
RETURNS workers AS 'MODULE_PATHNAME', 'pgqrs_get_worker' LANGUAGE C STABLE;
COMMENT ON FUNCTION get_worker(bigint) IS 'the worker of that id; error P0002 when there is none';

CREATE FUNCTION list_workers(queue_name text DEFAULT NULL)
RETURNS SETOF workers AS 'MODULE_PATHNAME', 'pgqrs_list_workers' LANGUAGE C STABLE;
COMMENT ON FUNCTION list_workers(text) IS 'all workers, or those of one queue, by id';

CREATE FUNCTION heartbeat(worker_id bigint)
RETURNS timestamptz AS 'MODULE_PATHNAME', 'pgqrs_heartbeat' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION heartbeat(bigint) IS 'records that the worker is alive; returns the heartbeat time';

CREATE FUNCTION suspend_worker(worker_id bigint)
RETURNS workers AS 'MODULE_PATHNAME', 'pgqrs_suspend_worker' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION suspend_worker(bigint) IS 'ready -> suspended: the worker gets nothing from dequeue';

CREATE FUNCTION resume_worker(worker_id bigint)
RETURNS workers AS 'MODULE_PATHNAME', 'pgqrs_resume_worker' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION resume_worker(bigint) IS 'suspended -> ready';

CREATE FUNCTION shutdown_worker(worker_id bigint)
RETURNS workers AS 'MODULE_PATHNAME', 'pgqrs_shutdown_worker' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION shutdown_worker(bigint) IS 'ready or suspended -> stopped, releasing the messages it holds';

CREATE FUNCTION worker_status(worker_id bigint)
RETURNS text AS 'MODULE_PATHNAME', 'pgqrs_worker_status' LANGUAGE C STABLE;
COMMENT ON FUNCTION worker_status(bigint) IS 'ready, suspended or stopped';

CREATE FUNCTION worker_messages(worker_id bigint)
RETURNS SETOF messages AS 'MODULE_PATHNAME', 'pgqrs_worker_messages' LANGUAGE C STABLE;
COMMENT ON FUNCTION worker_messages(bigint) IS 'the messages the worker holds a lease on';

CREATE FUNCTION delete_worker(worker_id bigint)
RETURNS boolean AS 'MODULE_PATHNAME', 'pgqrs_delete_worker' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION delete_worker(bigint) IS 'deletes a worker row; refuses while it holds messages';

CREATE FUNCTION purge_old_workers(older_than interval)
RETURNS bigint AS 'MODULE_PATHNAME', 'pgqrs_purge_old_workers' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION purge_old_workers(interval) IS 'deletes stopped workers whose heartbeat is older than older_than and that hold no messages';

CREATE FUNCTION reclaim_messages(queue_name text DEFAULT NULL, older_than interval DEFAULT '1 minute')
RETURNS bigint AS 'MODULE_PATHNAME', 'pgqrs_reclaim_messages' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION reclaim_messages(text, interval) IS 'releases the leases of workers silent for older_than and marks them stopped; returns the messages released';

-- Dead letters ------------------------------------------------------------

CREATE FUNCTION dlq(queue_name text)
RETURNS SETOF archive AS 'MODULE_PATHNAME', 'pgqrs_dlq' LANGUAGE C STABLE;
COMMENT ON FUNCTION dlq(text) IS 'the dead-lettered messages of the queue, by id';

CREATE FUNCTION replay_dlq(queue_name text, msg_ids bigint[] DEFAULT NULL)
RETURNS bigint AS 'MODULE_PATHNAME', 'pgqrs_replay_dlq' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION replay_dlq(text, bigint[]) IS 'puts dead-lettered messages (all, or those ids) back in the queue with read_ct 0; returns the count';

-- Observation -------------------------------------------------------------

CREATE FUNCTION queue_metrics(queue_name text)
RETURNS queue_metrics AS 'MODULE_PATHNAME', 'pgqrs_queue_metrics' LANGUAGE C STABLE;
COMMENT ON FUNCTION queue_metrics(text) IS 'message counts of one queue';

CREATE FUNCTION all_queues_metrics()
RETURNS SETOF queue_metrics AS 'MODULE_PATHNAME', 'pgqrs_all_queues_metrics' LANGUAGE C STABLE;
COMMENT ON FUNCTION all_queues_metrics() IS 'message counts of every queue';

CREATE FUNCTION system_stats()
RETURNS system_stats AS 'MODULE_PATHNAME', 'pgqrs_system_stats' LANGUAGE C STABLE;
COMMENT ON FUNCTION system_stats() IS 'counts over all queues and workers';

CREATE FUNCTION worker_stats(queue_name text)
RETURNS worker_stats AS 'MODULE_PATHNAME', 'pgqrs_worker_stats' LANGUAGE C STABLE;
COMMENT ON FUNCTION worker_stats(text) IS 'worker counts of one queue';

CREATE FUNCTION worker_health(queue_name text DEFAULT NULL, max_age interval DEFAULT '1 minute')
RETURNS SETOF worker_health AS 'MODULE_PATHNAME', 'pgqrs_worker_health' LANGUAGE C STABLE;
COMMENT ON FUNCTION worker_health(text, interval) IS 'each worker not stopped (all, or of one queue), healthy when its heartbeat is younger than max_age';

CREATE FUNCTION claim_frontier_stats()
RETURNS TABLE(queue_name text, frontier_vt timestamptz, frontier_id bigint, lag_seconds double precision,
              raises bigint, refused_raises bigint, lowerings bigint, resets bigint, found_below bigint,
              last_audit_seconds double precision, next_audit_at timestamptz)
AS 'MODULE_PATHNAME', 'pgqrs_claim_frontier_stats' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION claim_frontier_stats() IS 'the claim frontier of each queue that has one: where claims start, its lag behind now and its counters (found_below: rows a reset found below it, always 0 unless messages were changed outside pgqrs), and its periodic audit (last_audit_seconds, next_audit_at)';

CREATE FUNCTION reset_claim_frontier(queue_name text DEFAULT NULL)
RETURNS integer AS 'MODULE_PATHNAME', 'pgqrs_reset_claim_frontier' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION reset_claim_frontier(text) IS 'makes the next claims of the queue (every queue when NULL) scan from its start, after messages were changed outside pgqrs; returns the frontiers reset';

CREATE FUNCTION verify()
RETURNS void AS 'MODULE_PATHNAME', 'pgqrs_verify' LANGUAGE C STABLE;
COMMENT ON FUNCTION verify() IS 'raises an error naming the first object of the schema that is missing or altered';

CREATE FUNCTION version()
RETURNS text AS 'MODULE_PATHNAME', 'pgqrs_version' LANGUAGE C IMMUTABLE;
-- named with its schema: pg_catalog.version() comes first on this script's path
DO $comment$
BEGIN
    EXECUTE pg_catalog.format('COMMENT ON FUNCTION %I.version() IS %L', pg_catalog.current_schema(),
                              'the version of the pgqrs library loaded');
END
$comment$;

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

-- Access ------------------------------------------------------------------
-- The functions run as their owner, like SECURITY DEFINER ones, but switch to
-- it themselves (spi.cpp, begin_call) so that they know the role that called
-- them: a role needs EXECUTE on a function, not privileges on the tables, so a
-- producer can enqueue without being able to read or change messages. Their statements name our tables with this schema
-- and run with search_path forced to pg_catalog alone by the C++ (spi.cpp),
-- which is why no SET search_path clause is needed (it would cost a settings
-- save and restore per call). Inside, access.cpp checks the queues a role was
-- granted and that a worker is driven only by the role that registered it.

CREATE FUNCTION grant_access(role_name name, access text, queue_name text DEFAULT NULL,
                             force boolean DEFAULT false)
RETURNS void AS 'MODULE_PATHNAME', 'pgqrs_grant_access' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION grant_access(name, text, text, boolean) IS 'lets a role produce, consume, monitor or administer (producer, consumer, monitor, admin) every queue, or one queue; PUBLIC only with force';

CREATE FUNCTION revoke_access(role_name name, access text, queue_name text DEFAULT NULL)
RETURNS bigint AS 'MODULE_PATHNAME', 'pgqrs_revoke_access' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION revoke_access(name, text, text) IS 'takes back what grant_access gave (every grant of that kind, or the one of that queue); returns the grants removed';

-- A trusted install runs this script as a superuser, who keeps the tables and
-- types: the role that asked for the extension (@extowner@) owns the schema
-- and the functions and may read and write the rows, but cannot alter the
-- tables, add triggers to them or drop them one by one (DROP EXTENSION drops
-- them all). Nobody else may call a function until granted (grant_access).
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
                  WHERE p.pronamespace OPERATOR(pg_catalog.=) pg_catalog.to_regnamespace(pg_catalog.quote_ident(pg_catalog.current_schema())) LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO %s', object, $n$@extowner@$n$);
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', object);
    END LOOP;
END
$owner$;
