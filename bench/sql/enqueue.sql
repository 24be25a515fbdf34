-- one message per transaction through pgqrs (autocommit)
SELECT pgqrs.enqueue('bench', '{"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}'::jsonb);
