-- one message per transaction with a fresh dedup key (the key index is used)
SELECT pgqrs.enqueue('bench', '{"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}'::jsonb,
                     dedup_key => pg_catalog.gen_random_uuid()::text);
