-- After ALTER EXTENSION pgqrs UPDATE on the database tests/upgrade/fill.sql
-- filled: nothing was lost or changed, and every state still works.
-- Run as the extension's owner.
\set ON_ERROR_STOP 1

DO $check$
DECLARE
    lost text;
BEGIN
    ASSERT (SELECT extversion FROM pg_extension WHERE extname = 'pgqrs') = pgqrs.version(),
        'the extension and its library disagree on the version';
    PERFORM pgqrs.verify();

    -- every old row is there with the same values (new columns may be added)
    SELECT string_agg(b.tbl || ' ' || b.id, ', ') INTO lost
    FROM snap.before b LEFT JOIN snap.rows_now() n USING (tbl, id)
    WHERE n.data IS NULL OR NOT n.data @> b.data;
    ASSERT lost IS NULL, 'rows lost or changed by the update: ' || lost;
    ASSERT (SELECT count(*) FROM snap.rows_now()) = (SELECT count(*) FROM snap.before),
        'the update added rows';

    ASSERT (SELECT row(pending_messages, locked_messages, delayed_messages, archived_messages, dead_messages)::text
            FROM pgqrs.queue_metrics('jobs')) = '(3,1,1,1,0)', 'metrics of jobs after the update';
    ASSERT (SELECT dead_messages FROM pgqrs.queue_metrics('fragile')) = 1, 'dead letters after the update';
END
$check$;

DO $check$
DECLARE
    consumer bigint := (SELECT id FROM pgqrs.workers WHERE hostname = 'consumer-host');
    idle bigint := (SELECT id FROM pgqrs.workers WHERE hostname = 'idle-host');
    leased bigint := (SELECT id FROM pgqrs.messages WHERE payload->>'state' = 'leased');
    last_id bigint := (SELECT max(id) FROM snap.before WHERE tbl IN ('messages', 'archive'));
    taken bigint[];
BEGIN
    -- the lease taken under 0.1.0 is fenced and can be finished by its holder
    ASSERT NOT pgqrs.archive(leased, worker_id => consumer, attempt => 2), 'a stale attempt archived';
    ASSERT pgqrs.archive(leased, worker_id => consumer, attempt => 1), 'the old lease could not be archived';

    -- the waiting messages come out oldest first, the delayed one stays
    SELECT array_agg(id ORDER BY id) INTO taken FROM pgqrs.dequeue('jobs', 10, 30, worker_id => consumer);
    ASSERT array_length(taken, 1) = 3, 'dequeue after the update got ' || coalesce(taken::text, 'nothing');
    ASSERT (SELECT count(*) FROM pgqrs.archive_batch(taken, worker_id => consumer)) = 3, 'archive_batch';

    -- the dead letter can be replayed and delivered again
    ASSERT pgqrs.replay_dlq('fragile') = 1, 'replay_dlq';
    ASSERT (SELECT read_ct FROM pgqrs.dequeue('fragile', 1, 30)) = 1, 'the replayed message';

    -- ids go on from where 0.1.0 left them
    ASSERT pgqrs.enqueue('jobs', '{"state": "new"}') > last_id, 'a new id reuses an old one';

    -- workers: the suspended one resumes, a known (hostname, port) is taken over
    ASSERT (SELECT status FROM pgqrs.resume_worker(idle)) = 'ready', 'resume_worker';
    ASSERT (SELECT id FROM pgqrs.register_worker('consumer-host', 2, 'jobs')) = consumer, 'register_worker';
    ASSERT pgqrs.heartbeat(consumer) IS NOT NULL, 'heartbeat';
    ASSERT (SELECT count(*) FROM pgqrs.dequeue_wait('jobs', 1, 30, wait_seconds => 1)) = 1, 'dequeue_wait';
    ASSERT (SELECT status FROM pgqrs.shutdown_worker(consumer)) = 'stopped', 'shutdown_worker';
END
$check$;

-- the roles granted access under 0.1.0 keep it
SET ROLE pgqrs_upgrade_producer;
SELECT pgqrs.enqueue('jobs', '{"state": "from the producer role"}') > 0 AS producer_can_enqueue;
RESET ROLE;
SET ROLE pgqrs_upgrade_consumer;
SELECT count(*) AS consumer_can_dequeue FROM pgqrs.dequeue('jobs', 1, 30);
RESET ROLE;
