-- what publish replaces: 10 single enqueues, one per queue of bench_fan, in one statement
SELECT pgqrs.enqueue('bench_f1', '{"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}'::jsonb),
       pgqrs.enqueue('bench_f2', '{"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}'::jsonb),
       pgqrs.enqueue('bench_f3', '{"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}'::jsonb),
       pgqrs.enqueue('bench_f4', '{"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}'::jsonb),
       pgqrs.enqueue('bench_f5', '{"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}'::jsonb),
       pgqrs.enqueue('bench_f6', '{"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}'::jsonb),
       pgqrs.enqueue('bench_f7', '{"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}'::jsonb),
       pgqrs.enqueue('bench_f8', '{"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}'::jsonb),
       pgqrs.enqueue('bench_f9', '{"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}'::jsonb),
       pgqrs.enqueue('bench_f10', '{"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}'::jsonb);
