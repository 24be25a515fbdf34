-- peer for S1: PgQ's insert_event, one event per transaction (queue 'bench')
SELECT pgq.insert_event('bench', 'msg', '{"k":"vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"}');
