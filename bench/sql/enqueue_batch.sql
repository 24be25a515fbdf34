-- S2: :batch messages in one enqueue_batch call (pgbench -D batch=N -D queue=NAME)
SELECT count(*) FROM pgqrs.enqueue_batch(:queue,
    (SELECT array_agg('{"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}'::jsonb) FROM generate_series(1, :batch)));
