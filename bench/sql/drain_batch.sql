-- a consumer at batch :batch (pgbench -D batch=N): dequeue, then archive the batch
SELECT coalesce(array_agg(id), '{}') AS ids FROM pgqrs.dequeue('bench', :batch, 30) \gset
SELECT count(*) FROM pgqrs.archive_batch(:ids::bigint[]);
