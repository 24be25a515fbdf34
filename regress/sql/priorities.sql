-- Priorities: visible messages of a higher priority (0 to 9) are delivered
-- first, FIFO within a priority; set_priority changes a waiting message's;
-- queue_metrics counts visible messages per priority.
\set SHOW_CONTEXT never
SELECT queue_name, priority_levels FROM pgqrs.create_queue('pr_jobs');

-- a queue whose messages all have priority 0 claims as before (one level)
SELECT pgqrs.enqueue('pr_jobs', '{"n": 1}') AS low1 \gset
SELECT pgqrs.enqueue('pr_jobs', '{"n": 2}', priority => 5) AS mid \gset
SELECT pgqrs.enqueue('pr_jobs', '{"n": 3}', priority => 9) AS high1 \gset
SELECT pgqrs.enqueue('pr_jobs', '{"n": 4}') AS low2 \gset
SELECT pgqrs.enqueue('pr_jobs', '{"n": 5}', priority => 9) AS high2 \gset
-- the queue knows the priorities used: bits 0, 5 and 9
SELECT priority_levels FROM pgqrs.queues WHERE queue_name = 'pr_jobs';
SELECT queue_name, pending_messages, pending_by_priority FROM pgqrs.queue_metrics('pr_jobs');

-- higher first, FIFO within a priority, across batches
SELECT payload->>'n' AS n, priority FROM pgqrs.dequeue('pr_jobs', 2, 60);
SELECT payload->>'n' AS n, priority FROM pgqrs.dequeue('pr_jobs', 2, 60);
SELECT payload->>'n' AS n, priority FROM pgqrs.dequeue('pr_jobs', 2, 60);
SELECT pgqrs.purge_queue('pr_jobs');

-- per element in a batch (NULL: 0); one call's batch comes back highest first
SELECT count(*) FROM pgqrs.enqueue_batch('pr_jobs', ARRAY['{"n": 1}', '{"n": 2}', '{"n": 3}', '{"n": 4}']::jsonb[],
                                         priorities => ARRAY[NULL, 3, 7, 3]);
SELECT payload->>'n' AS n, priority FROM pgqrs.dequeue('pr_jobs', 10, 60);
SELECT pgqrs.purge_queue('pr_jobs');

-- a delayed message of a high priority waits for its time; a lease that ends
-- brings its message back at its priority
SELECT pgqrs.enqueue('pr_jobs', '{"n": "later"}', 600, priority => 9) AS later \gset
SELECT pgqrs.enqueue('pr_jobs', '{"n": "now"}', priority => 1) AS now_id \gset
SELECT payload->>'n' AS n FROM pgqrs.dequeue('pr_jobs', 10, 1);
SELECT pg_sleep(1.2);
SELECT pgqrs.enqueue('pr_jobs', '{"n": "plain"}') AS plain \gset
SELECT payload->>'n' AS n, read_ct FROM pgqrs.dequeue('pr_jobs', 1, 60);
SELECT pgqrs.purge_queue('pr_jobs');

-- set_priority: a waiting (or delayed) message moves; a leased one does not
SELECT pgqrs.enqueue('pr_jobs', '{"n": "a"}') AS a \gset
SELECT pgqrs.enqueue('pr_jobs', '{"n": "b"}') AS b \gset
SELECT pgqrs.set_priority(:b, 4) AS moved;
SELECT payload->>'n' AS n, priority FROM pgqrs.dequeue('pr_jobs', 1, 60);
SELECT pgqrs.set_priority(:b, 0) AS leased_stays;
SELECT priority FROM pgqrs.messages WHERE id = :b;
SELECT pgqrs.set_priority(-1, 3) AS unknown_id;
SELECT pgqrs.set_priority(:a, 8) AS moved_again;
SELECT priority_levels & (1 << 8) <> 0 AS level_8_known FROM pgqrs.queues WHERE queue_name = 'pr_jobs';
SELECT pgqrs.purge_queue('pr_jobs');

-- priorities survive a dead letter and its replay
SELECT max_attempts FROM pgqrs.set_max_attempts('pr_jobs', 1);
SELECT pgqrs.enqueue('pr_jobs', '{"n": "dead"}', priority => 6) AS dead \gset
SELECT count(*) FROM pgqrs.dequeue('pr_jobs', 1, 1);
SELECT pg_sleep(1.2);
SELECT count(*) AS delivered FROM pgqrs.dequeue('pr_jobs', 1, 1);
SELECT id = :dead AS same, priority FROM pgqrs.dlq('pr_jobs');
SELECT pgqrs.replay_dlq('pr_jobs');
SELECT id = :dead AS same, priority FROM pgqrs.messages WHERE queue_id = (SELECT id FROM pgqrs.queues WHERE queue_name = 'pr_jobs');
SELECT pgqrs.purge_queue('pr_jobs');

-- bad input: a clear error, nothing enqueued
SELECT pgqrs.enqueue('pr_jobs', '{}', priority => 10);
SELECT pgqrs.enqueue('pr_jobs', '{}', priority => -1);
SELECT pgqrs.enqueue('pr_jobs', '{}', priority => NULL);
SELECT pgqrs.enqueue_batch('pr_jobs', ARRAY['{}', '{}']::jsonb[], priorities => ARRAY[1]);
SELECT pgqrs.enqueue_batch('pr_jobs', ARRAY['{}', '{}']::jsonb[], priorities => ARRAY[1, 12]);
SELECT pgqrs.set_priority(1, 10);
SELECT pgqrs.set_priority(NULL, 1);
SELECT count(*) AS nothing_enqueued FROM pgqrs.messages
 WHERE queue_id = (SELECT id FROM pgqrs.queues WHERE queue_name = 'pr_jobs');

SELECT pgqrs.delete_queue('pr_jobs', true);
