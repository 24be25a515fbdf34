-- S4 producer (pgbench -R RATE): the send time travels in the payload
SELECT pgqrs.enqueue(:queue, jsonb_build_object('t', extract(epoch FROM clock_timestamp()), 'pad', 'vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv'));
