-- Dedup keys: enqueue(..., dedup_key) inserts nothing while a message of the
-- key is pending, delayed or leased in the queue and returns that message's
-- id; enqueue_dedup says whether it inserted; enqueue_batch(_dedup) per
-- element; the queue's dedup window covers archived messages too.
\set SHOW_CONTEXT never
SELECT queue_name, dedup_window_seconds FROM pgqrs.create_queue('dd_jobs');
SELECT queue_name FROM pgqrs.create_queue('dd_other');

-- a key is taken by the first message; the second enqueue returns its id
SELECT pgqrs.enqueue('dd_jobs', '{"n": 1}', dedup_key => 'order-1') AS m1 \gset
SELECT pgqrs.enqueue('dd_jobs', '{"n": 2}', dedup_key => 'order-1') = :m1 AS same_id;
SELECT count(*) AS messages_of_key, min(payload::text) AS payload
  FROM pgqrs.messages WHERE dedup_key = 'order-1';
SELECT msg_id = :m1 AS same_id, inserted FROM pgqrs.enqueue_dedup('dd_jobs', '{"n": 3}', 'order-1');

-- keys are per queue; messages without a key are never deduplicated
SELECT msg_id <> :m1 AS other_id, inserted FROM pgqrs.enqueue_dedup('dd_other', '{"n": 4}', 'order-1');
SELECT pgqrs.enqueue('dd_jobs', '{"n": 5}') <> pgqrs.enqueue('dd_jobs', '{"n": 5}') AS two_messages;

-- a delayed or leased message holds its key too
SELECT msg_id AS delayed, inserted FROM pgqrs.enqueue_dedup('dd_jobs', '{"n": 6}', 'later', 600) \gset
SELECT msg_id = :delayed AS same_id, inserted FROM pgqrs.enqueue_dedup('dd_jobs', '{"n": 7}', 'later');
SELECT pgqrs.purge_queue('dd_jobs') > 0 AS purged;
SELECT pgqrs.enqueue('dd_jobs', '{"n": 8}', dedup_key => 'leased') AS leased \gset
SELECT id = :leased AS leased_it FROM pgqrs.dequeue('dd_jobs', 1, 60);
SELECT msg_id = :leased AS same_id, inserted FROM pgqrs.enqueue_dedup('dd_jobs', '{"n": 9}', 'leased');

-- once the message is archived (or deleted), the key is free again (no window)
SELECT pgqrs.archive(:leased) AS archived;
SELECT msg_id <> :leased AS new_id, inserted FROM pgqrs.enqueue_dedup('dd_jobs', '{"n": 10}', 'leased');
SELECT dedup_key FROM pgqrs.archive WHERE id = :leased;

-- the dedup window: an archived message holds its key for that many seconds
SELECT queue_name, dedup_window_seconds FROM pgqrs.set_dedup_window('dd_jobs', 300);
SELECT pgqrs.enqueue('dd_jobs', '{"n": 11}', dedup_key => 'windowed') AS w1 \gset
SELECT pgqrs.archive(:w1) AS archived;
SELECT count(*) AS messages_before FROM pgqrs.messages \gset
SELECT msg_id = :w1 AS archived_id, inserted FROM pgqrs.enqueue_dedup('dd_jobs', '{"n": 12}', 'windowed');
SELECT pgqrs.enqueue('dd_jobs', '{"n": 13}', dedup_key => 'windowed') = :w1 AS archived_id;
SELECT count(*) = :messages_before AS nothing_inserted FROM pgqrs.messages;
-- outside the window (archived long ago) the key is free
UPDATE pgqrs.archive SET archived_at = now() - interval '301 seconds' WHERE id = :w1;
SELECT msg_id <> :w1 AS new_id, inserted FROM pgqrs.enqueue_dedup('dd_jobs', '{"n": 14}', 'windowed');
-- a deleted message leaves nothing in the archive: its key is free at once
SELECT pgqrs.enqueue('dd_jobs', '{"n": 15}', dedup_key => 'deleted') AS d1 \gset
SELECT pgqrs.delete(:d1) AS deleted;
SELECT inserted FROM pgqrs.enqueue_dedup('dd_jobs', '{"n": 16}', 'deleted');
SELECT queue_name, dedup_window_seconds FROM pgqrs.set_dedup_window('dd_jobs', 0);

-- enqueue_batch with one key (or NULL) per payload: ids in input order, a key
-- repeated in the batch or held already gets the holder's id
SELECT pgqrs.purge_queue('dd_jobs') >= 0 AS purged;
SELECT pgqrs.enqueue('dd_jobs', '{"held": true}', dedup_key => 'b-held') AS held \gset
SELECT array_agg(id ORDER BY ord) AS ids FROM pgqrs.enqueue_batch('dd_jobs',
    ARRAY['{"b": 1}', '{"b": 2}', '{"b": 3}', '{"b": 4}']::jsonb[],
    dedup_keys => ARRAY['b-1', NULL, 'b-1', 'b-held']) WITH ORDINALITY AS r(id, ord) \gset
SELECT (:'ids'::bigint[])[1] = (:'ids'::bigint[])[3] AS repeated_key_same_id,
       (:'ids'::bigint[])[4] = :held AS held_key_holder_id,
       (:'ids'::bigint[])[2] NOT IN ((:'ids'::bigint[])[1], :held) AS keyless_new;
SELECT m.payload, m.dedup_key FROM pgqrs.messages m JOIN pgqrs.queues q ON q.id = m.queue_id
 WHERE q.queue_name = 'dd_jobs' ORDER BY m.id;
-- enqueue_batch_dedup: (msg_id, inserted) per payload
SELECT msg_id = ANY (:'ids'::bigint[] || :held::bigint) AS known_id, inserted
  FROM pgqrs.enqueue_batch_dedup('dd_jobs', ARRAY['{"c": 1}', '{"c": 2}', '{"c": 3}']::jsonb[],
                                 ARRAY['b-1', 'c-new', 'b-held']);

-- a dead-lettered message gives its key up (the dead letter keeps none)
SELECT queue_name FROM pgqrs.create_queue('dd_fragile', 1);
SELECT pgqrs.enqueue('dd_fragile', '{"f": 1}', dedup_key => 'fragile') AS f1 \gset
SELECT count(*) AS leased FROM pgqrs.dequeue('dd_fragile', 1, 1);
SELECT pgqrs.release(ARRAY[:f1]::bigint[]) AS released;
SELECT count(*) AS delivered FROM pgqrs.dequeue('dd_fragile', 1, 1);
SELECT id = :f1 AS dead, dedup_key FROM pgqrs.dlq('dd_fragile');
SELECT inserted FROM pgqrs.enqueue_dedup('dd_fragile', '{"f": 2}', 'fragile');
SELECT pgqrs.replay_dlq('dd_fragile') AS replayed;

-- enqueue with a worker as usual
SELECT id AS w FROM pgqrs.register_worker('dd-host', 1, 'dd_jobs') \gset
SELECT inserted FROM pgqrs.enqueue_dedup('dd_jobs', '{"w": 1}', 'with-worker', 0, :w);
SELECT producer_worker_id = :w AS by_worker FROM pgqrs.messages WHERE dedup_key = 'with-worker';

-- bad input: an empty or too long key, NULL where a key is required, keys
-- that do not match the payloads; nothing changes
SELECT count(*) AS messages_before FROM pgqrs.messages \gset
SELECT pgqrs.enqueue('dd_jobs', '{}', dedup_key => '');
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue('dd_jobs', '{}', dedup_key => repeat('k', 513));
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue_dedup('dd_jobs', '{}', NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue_dedup('dd_jobs', '[]', 'k');
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue_dedup('dd_nope', '{}', 'k');
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue_batch('dd_jobs', ARRAY['{}', '{}']::jsonb[], dedup_keys => ARRAY['k']);
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue_batch('dd_jobs', ARRAY['{}']::jsonb[], dedup_keys => ARRAY['']);
\echo sqlstate :SQLSTATE
SELECT pgqrs.enqueue_batch_dedup('dd_jobs', ARRAY['{}']::jsonb[], NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.set_dedup_window('dd_jobs', -1);
\echo sqlstate :SQLSTATE
SELECT pgqrs.set_dedup_window('dd_nope', 10);
\echo sqlstate :SQLSTATE
SELECT (pgqrs.shutdown_worker(:w)).status;
\set VERBOSITY sqlstate
SELECT pgqrs.enqueue_dedup('dd_jobs', '{}', 'k', 0, :w);
\set VERBOSITY default
SELECT count(*) = :messages_before AS nothing_inserted FROM pgqrs.messages;

-- the plain path: rows without a key get no entry in the key index, neither
-- when enqueued nor when a claim moves them (a non-HOT update)
SELECT pgqrs.purge_queue('dd_jobs') >= 0 AS purged;
SELECT pg_relation_size('pgqrs.messages_dedup_key_idx') AS key_index_size \gset
SELECT count(*) AS keyless FROM pgqrs.enqueue_batch('dd_jobs',
    (SELECT array_agg(jsonb_build_object('p', i)) FROM generate_series(1, 2000) i));
SELECT count(*) AS claimed FROM pgqrs.dequeue('dd_jobs', 2000, 60);
SELECT pgqrs.release((SELECT array_agg(m.id) FROM pgqrs.messages m
    JOIN pgqrs.queues q ON q.id = m.queue_id WHERE q.queue_name = 'dd_jobs')) AS released;
SELECT pg_relation_size('pgqrs.messages_dedup_key_idx') = :key_index_size AS key_index_unchanged,
       pg_relation_size('pgqrs.messages_queue_vt_idx') > :key_index_size AS claim_index_grew;
