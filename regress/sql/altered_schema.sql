-- A table altered after install (only a superuser can: the installer keeps
-- the tables) never crashes a backend or shifts a result: each function forms
-- its result by column name and type, and a mismatch is a clear error.
\set SHOW_CONTEXT never
SELECT queue_name FROM pgqrs.create_queue('alt_q');
SELECT id AS w FROM pgqrs.register_worker('alt-host', 1, 'alt_q') \gset

-- a column of another type: an error that names it, and verify() says so
BEGIN;
ALTER TABLE pgqrs.workers ALTER hostname TYPE bigint USING 1;
SELECT * FROM pgqrs.worker_health();
\echo sqlstate :SQLSTATE
ROLLBACK;
BEGIN;
ALTER TABLE pgqrs.workers ALTER hostname TYPE bigint USING 4;
SELECT worker_id, hostname FROM pgqrs.worker_health();
\echo sqlstate :SQLSTATE
ROLLBACK;
BEGIN;
ALTER TABLE pgqrs.workers ALTER hostname TYPE bigint USING 4;
SELECT pgqrs.verify();
\echo sqlstate :SQLSTATE
ROLLBACK;
BEGIN;
ALTER TABLE pgqrs.queues ALTER max_attempts TYPE bigint;
SELECT queue_name FROM pgqrs.create_queue('alt_q2');
\echo sqlstate :SQLSTATE
ROLLBACK;
BEGIN;
ALTER TABLE pgqrs.workers ALTER status TYPE varchar(20);
SELECT pgqrs.worker_status(:w);
\echo sqlstate :SQLSTATE
ROLLBACK;

-- columns added and one dropped: dequeue still returns each column's own value
BEGIN;
ALTER TABLE pgqrs.messages ADD COLUMN extra_a text DEFAULT 'aaaaaaaa', ADD COLUMN extra_b bigint DEFAULT 7;
ALTER TABLE pgqrs.messages DROP COLUMN extra_a;
SELECT pgqrs.enqueue('alt_q', '{"intact": true}') AS m \gset
SELECT id = :m AS same_id, payload, read_ct, consumer_worker_id = :w AS mine, extra_b
  FROM pgqrs.dequeue('alt_q', 1, 30, :w);
SELECT pgqrs.archive(:m, :w, 1) AS archived;
SELECT payload, read_ct FROM pgqrs.archive WHERE id = :m;
ROLLBACK;

-- the functions work again once the schema is whole
SELECT pgqrs.verify();
SELECT count(*) AS healthy FROM pgqrs.worker_health() WHERE healthy;
SELECT pgqrs.delete_queue('alt_q', true);
