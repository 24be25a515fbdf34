-- peer for S2: :batch PgQ events in one statement (PgQ has no batch insert function)
SELECT count(pgq.insert_event('bench', 'msg', '{"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}'))
FROM generate_series(1, :batch);
