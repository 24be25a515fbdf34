-- the limit for a drain at batch :batch (pgbench -D batch=N), in plain SQL on
-- tables of the same shape: claim (FOR UPDATE SKIP LOCKED, 30 s lease) ...
WITH next AS (
    SELECT id FROM bench_bare.messages
    WHERE queue_id = 1 AND vt <= now()
    ORDER BY vt, id
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE bench_bare.messages m
    SET vt = now() + interval '30 seconds', read_ct = m.read_ct + 1, dequeued_at = now()
    FROM next WHERE m.id = next.id
    RETURNING m.id
)
SELECT coalesce(array_agg(id), '{}') AS ids FROM claimed \gset
-- ... then move the batch to the archive
WITH done AS (
    DELETE FROM bench_bare.messages WHERE id = ANY(:ids::bigint[]) RETURNING *
)
INSERT INTO bench_bare.archive (id, queue_id, payload, vt, enqueued_at, read_ct,
                                dequeued_at, producer_worker_id, consumer_worker_id)
SELECT id, queue_id, payload, vt, enqueued_at, read_ct,
       dequeued_at, producer_worker_id, consumer_worker_id
FROM done;
