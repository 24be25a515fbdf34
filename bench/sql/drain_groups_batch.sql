-- drain_batch.sql on the queue whose backlog is spread over 1,000 ordered groups
SELECT coalesce(array_agg(id), '{}') AS ids FROM pgqrs.dequeue('bench_groups', :batch, 30) \gset
SELECT count(*) FROM pgqrs.archive_batch(:ids::bigint[]);
