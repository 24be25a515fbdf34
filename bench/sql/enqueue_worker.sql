-- the statement the clients send for one enqueue: queue and worker id as
-- parameters, delay 0; each pgbench client is its own worker, as each client
-- connection is (pgbench -D queue=NAME -D wid0=ID of the first of consecutive workers)
\set wid :wid0 + :client_id
SELECT pgqrs.enqueue(:queue, '{"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}'::jsonb, 0, :wid);
