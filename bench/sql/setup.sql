-- Prepares a database for bench/sql/run.sh: the pgqrs queue 'bench' and, in
-- schema bench_bare, plain tables of the same shape as pgqrs.messages and
-- pgqrs.archive (same columns, defaults and indexes) for the bare-SQL cells.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgqrs;

DO $$
BEGIN
    PERFORM pgqrs.delete_queue(queue_name, true)
    FROM pgqrs.list_queues() WHERE queue_name IN ('bench', 'bench_retry', 'bench_groups', 'bench_prio');
END
$$;
SELECT id FROM pgqrs.create_queue('bench');
DO $$
BEGIN
    PERFORM pgqrs.delete_schedule(schedule_name)
    FROM pgqrs.list_schedules() WHERE schedule_name = 'bench';
END
$$;
SELECT id FROM pgqrs.create_schedule('bench', '* * * * *', 'bench',
                                     '{"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}');

-- topic bench_fan and its 10 queues bench_f1 .. bench_f10 (the publish cell)
DO $$
BEGIN
    PERFORM pgqrs.delete_topic(topic_name) FROM pgqrs.list_topics() WHERE topic_name = 'bench_fan';
    PERFORM pgqrs.delete_queue(queue_name, true)
    FROM pgqrs.list_queues() WHERE queue_name LIKE 'bench\_f%';
    PERFORM pgqrs.create_topic('bench_fan');
    PERFORM pgqrs.create_queue('bench_f' || i), pgqrs.subscribe('bench_fan', 'bench_f' || i)
    FROM generate_series(1, 10) i;
END
$$;

-- the same drain on a queue with a retry policy: what the policy costs a claim
SELECT id FROM pgqrs.create_queue('bench_retry');
SELECT retry_backoff FROM pgqrs.set_retry_policy('bench_retry', 'exponential', 1, 300, 0.2);

-- the drains of a backlog over 1,000 ordered groups and of one with priorities
SELECT id FROM pgqrs.create_queue('bench_groups');
SELECT id FROM pgqrs.create_queue('bench_prio');

DROP SCHEMA IF EXISTS bench_bare CASCADE;
CREATE SCHEMA bench_bare;
CREATE TABLE bench_bare.messages (LIKE pgqrs.messages INCLUDING ALL);
CREATE TABLE bench_bare.archive (LIKE pgqrs.archive INCLUDING ALL);
