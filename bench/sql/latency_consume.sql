-- S4 consumer: wait for a message (1 s at most), record enqueue -> dequeue in
-- bench_bare.latency, archive it
WITH got AS (
    SELECT id, payload FROM pgqrs.dequeue_wait(:queue, 1, 30, NULL, 1)
), rec AS (
    INSERT INTO bench_bare.latency (ms)
    SELECT 1000 * (extract(epoch FROM clock_timestamp()) - (payload->>'t')::float8) FROM got
    RETURNING 1
)
SELECT coalesce(min(id), 0) AS msg_id, (SELECT count(*) FROM rec) AS n FROM got \gset
SELECT pgqrs.archive(:msg_id);
