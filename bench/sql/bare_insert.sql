-- the limit for enqueue: a bare INSERT into a table of the same shape
INSERT INTO bench_bare.messages (queue_id, payload, vt) VALUES (1, '{"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}'::jsonb, now()) RETURNING id;
