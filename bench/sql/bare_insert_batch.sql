-- the limit for S2: :batch rows in one bare INSERT (pgbench -D batch=N)
INSERT INTO bench_bare.messages (queue_id, payload, vt)
SELECT 1, '{"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}'::jsonb, now() FROM generate_series(1, :batch)
RETURNING id;
