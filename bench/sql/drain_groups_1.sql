-- drain_1.sql on the queue whose backlog is spread over 1,000 ordered groups:
-- a claim takes only heads of groups, an archive lets the next one go
SELECT coalesce(min(id), 0) AS msg_id FROM pgqrs.dequeue('bench_groups', 1, 30) \gset
SELECT pgqrs.archive(:msg_id);
