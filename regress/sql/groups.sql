-- Ordered groups: messages of one group are delivered one at a time in the
-- order they joined it; a group's head leaving (archive, delete, dead letter)
-- lets the next go; a head whose lease ends comes back first.
\set SHOW_CONTEXT never
SELECT queue_name FROM pgqrs.create_queue('gr_jobs');
CREATE TEMP VIEW gr AS
  SELECT m.id, m.payload->>'n' AS n, m.group_key, m.held_vt IS NOT NULL AS held
    FROM pgqrs.messages m JOIN pgqrs.queues q ON q.id = m.queue_id
   WHERE q.queue_name = 'gr_jobs' ORDER BY m.id;

SELECT pgqrs.enqueue('gr_jobs', '{"n": "a1"}', group_key => 'A') AS a1 \gset
SELECT pgqrs.enqueue('gr_jobs', '{"n": "a2"}', group_key => 'A') AS a2 \gset
SELECT pgqrs.enqueue('gr_jobs', '{"n": "b1"}', group_key => 'B') AS b1 \gset
SELECT count(*) FROM pgqrs.enqueue_batch('gr_jobs', ARRAY['{"n": "a3"}', '{"n": "b2"}', '{"n": "x"}']::jsonb[],
                                         group_keys => ARRAY['A', 'B', NULL]);
SELECT n, group_key, held FROM gr;
SELECT group_key, messages FROM pgqrs.message_groups ORDER BY 1;
SELECT held_messages, groups, pending_messages, delayed_messages FROM pgqrs.queue_metrics('gr_jobs');

-- one message per group at a time; groups in parallel
SELECT payload->>'n' AS n, group_key FROM pgqrs.dequeue('gr_jobs', 10, 60) ORDER BY id;
SELECT count(*) AS nothing_more FROM pgqrs.dequeue('gr_jobs', 10, 60);

-- archiving a head lets the next of its group go, in order
SELECT pgqrs.archive(:a1);
SELECT payload->>'n' AS n, group_key FROM pgqrs.dequeue('gr_jobs', 10, 60);
-- a head released comes back before the rest of its group
SELECT pgqrs.release(ARRAY[:a2]::bigint[]);
SELECT payload->>'n' AS n, read_ct FROM pgqrs.dequeue('gr_jobs', 10, 60);
-- delete lets the next go too
SELECT pgqrs.delete(:a2);
SELECT payload->>'n' AS n FROM pgqrs.dequeue('gr_jobs', 10, 60);
SELECT pgqrs.archive_batch(ARRAY(SELECT id FROM gr WHERE NOT held AND group_key IS NOT NULL)) IS NOT NULL AS archived;
SELECT payload->>'n' AS n, group_key FROM pgqrs.dequeue('gr_jobs', 10, 60);
SELECT pgqrs.archive_batch(ARRAY(SELECT id FROM gr)) IS NOT NULL AS archived;
-- an empty group loses its row
SELECT count(*) AS groups_left FROM pgqrs.message_groups;

-- a head whose lease expires is delivered again before the rest
SELECT pgqrs.enqueue('gr_jobs', '{"n": "c1"}', group_key => 'C') AS c1 \gset
SELECT pgqrs.enqueue('gr_jobs', '{"n": "c2"}', group_key => 'C') AS c2 \gset
SELECT payload->>'n' AS n FROM pgqrs.dequeue('gr_jobs', 10, 1);
SELECT pg_sleep(1.2);
SELECT payload->>'n' AS n, read_ct FROM pgqrs.dequeue('gr_jobs', 10, 60);
SELECT pgqrs.purge_queue('gr_jobs');
SELECT count(*) AS groups_after_purge FROM pgqrs.message_groups;

-- a head dead-lettered unblocks its group; replayed, it goes back into it
SELECT max_attempts FROM pgqrs.set_max_attempts('gr_jobs', 1);
SELECT pgqrs.enqueue('gr_jobs', '{"n": "d1"}', group_key => 'D') AS d1 \gset
SELECT pgqrs.enqueue('gr_jobs', '{"n": "d2"}', group_key => 'D') AS d2 \gset
SELECT payload->>'n' AS n FROM pgqrs.dequeue('gr_jobs', 10, 1);
SELECT pg_sleep(1.2);
-- this claim buries d1 (its last attempt ended) and delivers d2, behind it
SELECT payload->>'n' AS n FROM pgqrs.dequeue('gr_jobs', 10, 60);
SELECT id = :d1 AS dead, group_key FROM pgqrs.dlq('gr_jobs');
SELECT pgqrs.replay_dlq('gr_jobs');
SELECT n, group_key, held FROM gr;
SELECT pgqrs.archive(:d2);
SELECT payload->>'n' AS n FROM pgqrs.dequeue('gr_jobs', 10, 60);
SELECT pgqrs.purge_queue('gr_jobs');

-- a delayed head keeps its group waiting; the next inherits nothing of its delay
SELECT pgqrs.enqueue('gr_jobs', '{"n": "e1"}', 600, group_key => 'E') AS e1 \gset
SELECT pgqrs.enqueue('gr_jobs', '{"n": "e2"}', group_key => 'E') AS e2 \gset
SELECT count(*) AS none_visible FROM pgqrs.dequeue('gr_jobs', 10, 60);
SELECT pgqrs.delete(:e1);
SELECT payload->>'n' AS n FROM pgqrs.dequeue('gr_jobs', 10, 60);
SELECT pgqrs.purge_queue('gr_jobs');

-- groups with priorities and dedup keys
SELECT pgqrs.enqueue('gr_jobs', '{"n": "f1"}', group_key => 'F') AS f1 \gset
SELECT pgqrs.enqueue('gr_jobs', '{"n": "f2"}', group_key => 'F', priority => 9) AS f2 \gset
SELECT pgqrs.enqueue('gr_jobs', '{"n": "g1"}', group_key => 'G', priority => 5) AS g1 \gset
SELECT msg_id AS f3, inserted FROM pgqrs.enqueue_dedup('gr_jobs', '{"n": "f3"}', 'k-f3', group_key => 'F') \gset
SELECT msg_id = :f3 AS same, inserted FROM pgqrs.enqueue_dedup('gr_jobs', '{"n": "f3 again"}', 'k-f3', group_key => 'F');
SELECT payload->>'n' AS n, priority FROM pgqrs.dequeue('gr_jobs', 10, 60);
SELECT pgqrs.archive(:f1);
SELECT payload->>'n' AS n, priority FROM pgqrs.dequeue('gr_jobs', 10, 60);
SELECT messages FROM pgqrs.message_groups WHERE group_key = 'F';
SELECT pgqrs.purge_queue('gr_jobs');

-- the first message of a new group is claimed in enqueue order with the others
SELECT count(*) FROM pgqrs.enqueue_batch('gr_jobs', ARRAY['{"n": "h1"}', '{"n": "u1"}']::jsonb[],
                                         group_keys => ARRAY['H1', NULL]);
SELECT payload->>'n' AS n FROM pgqrs.dequeue('gr_jobs', 1, 60);
SELECT pgqrs.purge_queue('gr_jobs');

-- delete_queue takes its groups along
SELECT pgqrs.enqueue('gr_jobs', '{"n": 1}', group_key => 'H') IS NOT NULL AS enqueued;
SELECT pgqrs.delete_queue('gr_jobs');
SELECT count(*) AS groups_left FROM pgqrs.message_groups;

-- bad input: a clear error, nothing enqueued
SELECT queue_name FROM pgqrs.create_queue('gr_jobs');
SELECT pgqrs.enqueue('gr_jobs', '{}', group_key => '');
SELECT pgqrs.enqueue('gr_jobs', '{}', group_key => repeat('k', 257));
SELECT pgqrs.enqueue_batch('gr_jobs', ARRAY['{}', '{}']::jsonb[], group_keys => ARRAY['a']);
SELECT pgqrs.enqueue_batch('gr_jobs', ARRAY['{}', '{}']::jsonb[], group_keys => ARRAY['a', '']);
SELECT count(*) AS nothing_enqueued FROM gr;
SELECT count(*) AS no_group_rows FROM pgqrs.message_groups;
SELECT pgqrs.delete_queue('gr_jobs');
