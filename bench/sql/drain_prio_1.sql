-- drain_1.sql on the queue whose backlog has priorities 0..9 mixed
SELECT coalesce(min(id), 0) AS msg_id FROM pgqrs.dequeue('bench_prio', 1, 30) \gset
SELECT pgqrs.archive(:msg_id);
