-- drain_batch.sql on the queue whose backlog has priorities 0..9 mixed
SELECT coalesce(array_agg(id), '{}') AS ids FROM pgqrs.dequeue('bench_prio', :batch, 30) \gset
SELECT count(*) FROM pgqrs.archive_batch(:ids::bigint[]);
