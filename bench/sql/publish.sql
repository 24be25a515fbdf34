-- one publish to topic bench_fan, which 10 queues subscribe to: 10 messages
SELECT count(*) FROM pgqrs.publish('bench_fan', '{"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}'::jsonb);
