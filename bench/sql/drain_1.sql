-- a consumer at batch 1: dequeue one message (30 s lease), then archive it
SELECT coalesce(min(id), 0) AS msg_id FROM pgqrs.dequeue('bench', 1, 30) \gset
SELECT pgqrs.archive(:msg_id);
