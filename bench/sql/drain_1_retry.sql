-- drain_1.sql on the queue with a retry policy (exponential, jitter): the
-- claim computes the policy for every message it reaches
SELECT coalesce(min(id), 0) AS msg_id FROM pgqrs.dequeue('bench_retry', 1, 30) \gset
SELECT pgqrs.archive(:msg_id);
