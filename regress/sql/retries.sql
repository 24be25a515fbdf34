-- Retries with backoff: set_retry_policy, release with a delay or the policy,
-- an expired lease deferred by the policy, retry_at, last_error, metrics.
\set SHOW_CONTEXT never
-- the UPDATEs below stand in for time passing; changes made outside pgqrs
-- are followed by reset_claim_frontier() (docs/claim-frontier.md)
SELECT setval(pg_get_serial_sequence('pgqrs.messages', 'id'), 1000000) AS first_id_after;
CREATE FUNCTION pg_temp.state() RETURNS text LANGUAGE sql AS $$
  SELECT md5(concat_ws('|',
    (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM pgqrs.queues t),
    (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM pgqrs.workers t),
    (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM pgqrs.messages t),
    (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM pgqrs.archive t)))
$$;
CREATE TEMP TABLE saved_state (fingerprint text);
CREATE FUNCTION pg_temp.save_state() RETURNS void LANGUAGE sql AS $$
  DELETE FROM pg_temp.saved_state;
  INSERT INTO pg_temp.saved_state SELECT pg_temp.state();
$$;
CREATE FUNCTION pg_temp.unchanged() RETURNS boolean LANGUAGE sql AS $$
  SELECT fingerprint = pg_temp.state() FROM pg_temp.saved_state
$$;

-- A new queue has no policy
SELECT queue_name, retry_backoff, retry_delay_seconds, retry_max_delay_seconds, retry_jitter
  FROM pgqrs.create_queue('rt_plain');

-- Setting a policy: fixed (the cap defaults to the delay), exponential (the
-- cap defaults to 365 days), none
SELECT queue_name, retry_backoff, retry_delay_seconds, retry_max_delay_seconds, retry_jitter
  FROM pgqrs.create_queue('rt_q', 10);
SELECT id AS rq FROM pgqrs.get_queue('rt_q') \gset
SELECT retry_backoff, retry_delay_seconds, retry_max_delay_seconds, retry_jitter
  FROM pgqrs.set_retry_policy('rt_q', 'fixed', 30);
SELECT retry_backoff, retry_delay_seconds, retry_max_delay_seconds, retry_jitter
  FROM pgqrs.set_retry_policy('rt_q', 'exponential', 1.5);
SELECT retry_backoff, retry_delay_seconds, retry_max_delay_seconds, retry_jitter
  FROM pgqrs.set_retry_policy('rt_q', 'none');
SELECT retry_backoff, retry_delay_seconds, retry_max_delay_seconds, retry_jitter
  FROM pgqrs.set_retry_policy(queue_name => 'rt_q', backoff => 'exponential', delay_seconds => 10,
                              max_delay_seconds => 100, jitter => 0);
SELECT retry_backoff FROM pgqrs.get_queue('rt_q');

-- Bad input: a clear error, nothing changed
SELECT pg_temp.save_state();
SELECT pgqrs.set_retry_policy('rt_q', 'fixed', -1);
SELECT pgqrs.set_retry_policy('rt_q', 'fixed', 31536001);
SELECT pgqrs.set_retry_policy('rt_q', 'fixed', 'NaN');
SELECT pgqrs.set_retry_policy('rt_q', 'exponential', 5, 4);
SELECT pgqrs.set_retry_policy('rt_q', 'exponential', 5, -4);
SELECT pgqrs.set_retry_policy('rt_q', 'exponential', 5, 'Infinity');
SELECT pgqrs.set_retry_policy('rt_q', 'fixed', 5, NULL, -0.1);
SELECT pgqrs.set_retry_policy('rt_q', 'fixed', 5, NULL, 1.5);
SELECT pgqrs.set_retry_policy('rt_q', 'fixed', 5, NULL, 'NaN');
SELECT pgqrs.set_retry_policy('rt_q', 'fixed');
SELECT pgqrs.set_retry_policy('rt_q', 'linear', 5);
SELECT pgqrs.set_retry_policy('rt_q', E'fix\ned', 5);
SELECT pgqrs.set_retry_policy('rt_q', NULL, 5);
SELECT pgqrs.set_retry_policy('rt_q', 'none', 5);
SELECT pgqrs.set_retry_policy('rt_q', 'none', NULL, NULL, 0.5);
SELECT pgqrs.set_retry_policy(NULL, 'fixed', 5);
SELECT pgqrs.set_retry_policy('rt_nope', 'fixed', 5);
SELECT pgqrs.set_retry_policy('bad name', 'fixed', 5);
SELECT pgqrs.release(ARRAY[1]::bigint[], NULL, NULL, -1);
SELECT pgqrs.release(ARRAY[1]::bigint[], NULL, NULL, 31536001);
SELECT pg_temp.unchanged() AS nothing_changed;

-- The policy math, deterministic with jitter 0: messages whose lease expired
-- at T after attempt n are deferred by the claim to T + delay(n).
-- exponential, base 10, cap 100: 10, 20, 40, 80, 100, 100 seconds
SELECT count(*) FROM pgqrs.enqueue_batch('rt_q', ARRAY['{"n":1}','{"n":2}','{"n":3}','{"n":4}','{"n":5}','{"n":6}']::jsonb[]);
SELECT clock_timestamp() - interval '0.5 seconds' AS lease_end \gset
UPDATE pgqrs.messages SET read_ct = (payload->>'n')::int, dequeued_at = :'lease_end', vt = :'lease_end'
 WHERE queue_id = :rq;
SELECT pgqrs.reset_claim_frontier() AS frontier_reset \gset
SELECT count(*) AS delivered FROM pgqrs.dequeue('rt_q', 10);
SELECT payload->>'n' AS attempt, extract(epoch FROM retry_at - :'lease_end') AS delay_seconds,
       retry_at = vt AS visible_at_retry, read_ct
  FROM pgqrs.messages WHERE queue_id = :rq ORDER BY id;
SELECT total_messages, pending_messages, locked_messages, retrying_messages,
       next_retry_at = :'lease_end'::timestamptz + interval '10 seconds' AS next_is_first
  FROM pgqrs.queue_metrics('rt_q');
-- fixed 25.5 seconds, whatever the attempt (a cap above it changes nothing)
SELECT count(*) FROM pgqrs.set_retry_policy('rt_q', 'fixed', 25.5, 75);
UPDATE pgqrs.messages SET vt = :'lease_end', retry_at = NULL
 WHERE queue_id = :rq;
SELECT pgqrs.reset_claim_frontier() AS frontier_reset \gset
SELECT count(*) AS delivered FROM pgqrs.dequeue('rt_q', 10);
SELECT payload->>'n' AS attempt, extract(epoch FROM retry_at - :'lease_end') AS delay_seconds
  FROM pgqrs.messages WHERE queue_id = :rq ORDER BY id;
-- the retry time passed while nobody claimed the message: delivered at once
UPDATE pgqrs.messages SET vt = now() - interval '1 hour', retry_at = NULL
 WHERE queue_id = :rq;
SELECT pgqrs.reset_claim_frontier() AS frontier_reset \gset
SELECT count(*) AS delivered FROM pgqrs.dequeue('rt_q', 10, 60);
SELECT count(*) AS leased_now FROM pgqrs.messages WHERE queue_id = :rq AND retry_at IS NULL AND vt > now();
SELECT pgqrs.purge_queue('rt_q');

-- Jitter shortens the delay by up to that fraction, spreading messages that
-- failed together: fixed 100 s, jitter 0.5 gives delays in [50, 100]
SELECT count(*) FROM pgqrs.set_retry_policy('rt_q', 'fixed', 100, NULL, 0.5);
SELECT count(*) FROM pgqrs.enqueue_batch('rt_q', ARRAY(SELECT '{}'::jsonb FROM generate_series(1, 500)));
UPDATE pgqrs.messages SET read_ct = 1, dequeued_at = :'lease_end', vt = :'lease_end'
 WHERE queue_id = :rq;
SELECT pgqrs.reset_claim_frontier() AS frontier_reset \gset
SELECT count(*) AS delivered FROM pgqrs.dequeue('rt_q', 1000);
SELECT min(d) >= 50 AS at_least_half, max(d) <= 100 AS at_most_all,
       min(d) < 55 AND max(d) > 95 AS spread, count(DISTINCT d) > 400 AS distinct_delays
  FROM (SELECT extract(epoch FROM retry_at - :'lease_end') AS d FROM pgqrs.messages WHERE queue_id = :rq) x;
-- exponential with jitter 1: anywhere in [0, the capped delay]
SELECT count(*) FROM pgqrs.set_retry_policy('rt_q', 'exponential', 10, 30, 1);
UPDATE pgqrs.messages SET read_ct = 3, vt = :'lease_end', retry_at = NULL
 WHERE queue_id = :rq;
SELECT pgqrs.reset_claim_frontier() AS frontier_reset \gset
SELECT count(*) >= 0 AS claimed FROM pgqrs.dequeue('rt_q', 1000, 60);
SELECT max(extract(epoch FROM retry_at - :'lease_end')) <= 30 AS within_cap,
       count(*) FILTER (WHERE retry_at IS NOT NULL) > 400 AS most_deferred
  FROM pgqrs.messages WHERE queue_id = :rq;
SELECT pgqrs.purge_queue('rt_q');

-- release without a policy: visible now, as before
SELECT pgqrs.enqueue('rt_plain', '{"p": 1}') AS p1 \gset
SELECT read_ct FROM pgqrs.dequeue('rt_plain', 1, 300);
SELECT pgqrs.release(ARRAY[:p1]::bigint[], error => 'first failure') AS released;
SELECT vt <= clock_timestamp() AS visible, retry_at = vt AS retry_at_is_vt, last_error
  FROM pgqrs.messages WHERE id = :p1;
SELECT read_ct, last_error FROM pgqrs.dequeue('rt_plain', 1, 300);
-- an explicit delay overrides: back after it
SELECT clock_timestamp() AS before \gset
SELECT pgqrs.release(ARRAY[:p1]::bigint[], delay_seconds => 20) AS released;
SELECT clock_timestamp() AS after \gset
SELECT vt BETWEEN :'before'::timestamptz + interval '20 s' AND :'after'::timestamptz + interval '20 s' AS back_in_20s,
       retry_at = vt AS retry_at_is_vt, last_error AS error_kept
  FROM pgqrs.messages WHERE id = :p1;
SELECT count(*) AS delivered FROM pgqrs.dequeue('rt_plain', 1, 300);
SELECT pending_messages, locked_messages, delayed_messages, retrying_messages,
       next_retry_at = (SELECT vt FROM pgqrs.messages WHERE id = :p1) AS next_retry_at
  FROM pgqrs.queue_metrics('rt_plain');
-- waiting for a retry is not a lease: release, extend and delete_queue treat it so
SELECT pgqrs.release(ARRAY[:p1]::bigint[]) AS released_again;
SELECT pgqrs.extend_visibility(:p1, 60) AS extended;
SELECT (pgqrs.system_stats()).locked_messages AS locked;

-- release with the policy (NULL delay): exponential 4 s base, attempt 2 waits 8 s
SELECT count(*) FROM pgqrs.set_retry_policy('rt_q', 'exponential', 4, 60);
SELECT pgqrs.enqueue('rt_q', '{"r": 1}') AS r1 \gset
SELECT read_ct FROM pgqrs.dequeue('rt_q', 1, 300);
SELECT pgqrs.release(ARRAY[:r1]::bigint[], NULL, NULL, 0) AS released_now;
SELECT read_ct FROM pgqrs.dequeue('rt_q', 1, 300);
SELECT clock_timestamp() AS before \gset
SELECT pgqrs.release(ARRAY[:r1]::bigint[], NULL, ARRAY[2], NULL, 'attempt 2 failed') AS released;
SELECT clock_timestamp() AS after \gset
SELECT vt BETWEEN :'before'::timestamptz + interval '8 s' AND :'after'::timestamptz + interval '8 s' AS back_in_8s,
       last_error FROM pgqrs.messages WHERE id = :r1;
SELECT count(*) AS delivered FROM pgqrs.dequeue('rt_q', 1, 300);

-- the error text is kept to 4096 bytes, cut at a character boundary
UPDATE pgqrs.messages SET vt = now() - interval '1 s' WHERE id = :r1;
SELECT pgqrs.reset_claim_frontier() AS frontier_reset \gset
SELECT read_ct FROM pgqrs.dequeue('rt_q', 1, 300);
SELECT pgqrs.release(ARRAY[:r1]::bigint[], NULL, NULL, 0, repeat('é', 3000)) AS released;
SELECT octet_length(last_error) AS bytes, length(last_error) AS characters
  FROM pgqrs.messages WHERE id = :r1;

-- the last attempt comes back at once (the next claim dead-letters it) and
-- the dead letter keeps the error
SELECT count(*) FROM pgqrs.set_max_attempts('rt_q', 4);
SELECT read_ct FROM pgqrs.dequeue('rt_q', 1, 300);
SELECT pgqrs.release(ARRAY[:r1]::bigint[], error => 'gave up on attempt 4') AS released;
SELECT vt <= clock_timestamp() AS visible_now FROM pgqrs.messages WHERE id = :r1;
SELECT count(*) AS delivered FROM pgqrs.dequeue('rt_q', 1, 300);
SELECT id = :r1 AS same_id, read_ct, dead_letter, last_error FROM pgqrs.dlq('rt_q');
SELECT dead_messages, retrying_messages FROM pgqrs.queue_metrics('rt_q');
-- replayed, it keeps the error and has no retry time
SELECT pgqrs.replay_dlq('rt_q') AS replayed;
SELECT read_ct, retry_at, last_error FROM pgqrs.messages WHERE id = :r1;
-- archived, the error goes with it
SELECT read_ct FROM pgqrs.dequeue('rt_q', 1, 300);
SELECT pgqrs.archive(:r1) AS archived;
SELECT last_error FROM pgqrs.archive WHERE id = :r1;

-- a lease a worker's shutdown ends is deferred by the policy from then on
SELECT count(*) FROM pgqrs.set_retry_policy('rt_q', 'fixed', 30);
SELECT id AS w FROM pgqrs.register_worker('rt-host', 1, 'rt_q') \gset
SELECT pgqrs.enqueue('rt_q', '{"s": 1}') AS s1 \gset
SELECT read_ct FROM pgqrs.dequeue('rt_q', 1, 300, :w);
SELECT clock_timestamp() AS before \gset
SELECT status FROM pgqrs.shutdown_worker(:w);
SELECT count(*) AS delivered FROM pgqrs.dequeue('rt_q', 1, 300);
SELECT clock_timestamp() AS after \gset
SELECT retry_at BETWEEN :'before'::timestamptz + interval '30 s' AND :'after'::timestamptz + interval '30 s' AS back_in_30s,
       consumer_worker_id IS NULL AS not_held, read_ct
  FROM pgqrs.messages WHERE id = :s1;
-- the shutdown took the lease from its holder: registered again, it cannot extend it
SELECT status FROM pgqrs.register_worker('rt-host', 1, 'rt_q');
SELECT pgqrs.extend_visibility(:s1, 60, :w) IS NULL AS holder_lost_it;

-- a lease that really expires: deferred by the next claim from the lease's end
SELECT count(*) FROM pgqrs.set_retry_policy('rt_q', 'fixed', 5);
SELECT pgqrs.purge_queue('rt_q');
SELECT pgqrs.enqueue('rt_q', '{"e": 1}') AS e1 \gset
SELECT read_ct FROM pgqrs.dequeue('rt_q', 1, 1, :w);
SELECT pg_sleep(1.1);
SELECT count(*) AS delivered_at_expiry FROM pgqrs.dequeue('rt_q', 1, 300);
SELECT round(extract(epoch FROM retry_at - dequeued_at)) AS lease_plus_delay,
       consumer_worker_id = :w AS holder_kept FROM pgqrs.messages WHERE id = :e1;
-- deferred, the holder may still finish it
SELECT pgqrs.archive(:e1, :w, 1) AS holder_archived;

-- a queue whose policy is set back to none behaves as before: expired leases
-- come back at their end
SELECT count(*) FROM pgqrs.set_retry_policy('rt_q', 'none');
SELECT pgqrs.enqueue('rt_q', '{"e": 2}') AS e2 \gset
SELECT read_ct FROM pgqrs.dequeue('rt_q', 1, 1);
SELECT pg_sleep(1.1);
SELECT read_ct FROM pgqrs.dequeue('rt_q', 1, 1);
SELECT pgqrs.delete_queue('rt_q', true);

-- a policy set after this session last claimed from the queue without one
-- applies to its next claim: the expired lease is deferred, not delivered
SELECT pgqrs.purge_queue('rt_plain');
SELECT pgqrs.enqueue('rt_plain', '{"p": 2}') AS p2 \gset
SELECT read_ct FROM pgqrs.dequeue('rt_plain', 1, 1);
SELECT count(*) FROM pgqrs.set_retry_policy('rt_plain', 'fixed', 30);
SELECT pg_sleep(1.1);
SELECT count(*) AS delivered_at_expiry FROM pgqrs.dequeue('rt_plain', 1, 300);
SELECT round(extract(epoch FROM retry_at - dequeued_at)) AS lease_plus_delay, read_ct
  FROM pgqrs.messages WHERE id = :p2;
SELECT pgqrs.delete_queue('rt_plain', true);
