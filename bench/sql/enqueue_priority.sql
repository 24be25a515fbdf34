-- one message per transaction with a random priority 0..9 (enqueue.sql with a priority)
\set p random(0, 9)
SELECT pgqrs.enqueue('bench', '{"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}'::jsonb,
                     priority => :p);
