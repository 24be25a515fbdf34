-- the limit for a drain at batch 1, in plain SQL on tables of the same shape:
-- claim the oldest visible message (FOR UPDATE SKIP LOCKED, 30 s lease) ...
WITH next AS (
    SELECT id FROM bench_bare.messages
    WHERE queue_id = 1 AND vt <= now()
    ORDER BY vt, id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE bench_bare.messages m
    SET vt = now() + interval '30 seconds', read_ct = m.read_ct + 1, dequeued_at = now()
    FROM next WHERE m.id = next.id
    RETURNING m.id
)
SELECT coalesce(min(id), 0) AS msg_id FROM claimed \gset
-- ... then move it to the archive
WITH done AS (
    DELETE FROM bench_bare.messages WHERE id = :msg_id RETURNING *
)
INSERT INTO bench_bare.archive (id, queue_id, payload, vt, enqueued_at, read_ct,
                                dequeued_at, producer_worker_id, consumer_worker_id)
SELECT id, queue_id, payload, vt, enqueued_at, read_ct,
       dequeued_at, producer_worker_id, consumer_worker_id
FROM done;
