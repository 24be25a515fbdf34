-- Topics: create_topic, subscribe, unsubscribe, publish (one message per
-- subscribed queue, in one statement), list_topics, delete_topic; bad input;
-- publish's access (producer access to every subscribed queue or nothing).
\set SHOW_CONTEXT never
SELECT queue_name FROM pgqrs.create_queue('tp_a');
SELECT queue_name FROM pgqrs.create_queue('tp_b');
SELECT queue_name FROM pgqrs.create_queue('tp_c');

-- create_topic returns the row; a second one of the name is 42710
SELECT topic_name, created_at <= now() AS created_now FROM pgqrs.create_topic('tp_orders');
SELECT pgqrs.create_topic('tp_orders');
\echo sqlstate :SQLSTATE

-- publishing to a topic without subscribers is not an error: no row, no message
SELECT count(*) AS messages_before FROM pgqrs.messages \gset
SELECT * FROM pgqrs.publish('tp_orders', '{"order": 1}');
SELECT count(*) = :messages_before AS nothing_inserted FROM pgqrs.messages;

-- subscribe: true when new, false when it was already
SELECT pgqrs.subscribe('tp_orders', 'tp_b') AS new_b, pgqrs.subscribe('tp_orders', 'tp_a') AS new_a,
       pgqrs.subscribe('tp_orders', 'tp_a') AS again_a;

-- publish: one message per subscribed queue, rows by queue name, ids in that order
SELECT queue_name, msg_id IS NOT NULL AS has_id FROM pgqrs.publish('tp_orders', '{"order": 2}');
SELECT q.queue_name, m.payload, m.read_ct, m.vt <= clock_timestamp() AS visible
  FROM pgqrs.messages m JOIN pgqrs.queues q ON q.id = m.queue_id
 WHERE m.payload = '{"order": 2}' ORDER BY q.queue_name;
-- the returned ids are those messages
CREATE TEMP TABLE published AS SELECT * FROM pgqrs.publish('tp_orders', '{"order": 3}');
SELECT count(*) AS matched FROM published p
  JOIN pgqrs.messages m ON m.id = p.msg_id AND m.payload = '{"order": 3}'
  JOIN pgqrs.queues q ON q.id = m.queue_id AND q.queue_name = p.queue_name;

-- delay_seconds and worker_id as enqueue takes them
SELECT id AS w FROM pgqrs.register_worker('tp-host', 1) \gset
TRUNCATE published;
INSERT INTO published SELECT * FROM pgqrs.publish('tp_orders', '{"order": 4}', 600, :w);
SELECT count(*) AS delayed FROM published p JOIN pgqrs.messages m ON m.id = p.msg_id
 WHERE m.vt > now() + interval '590 seconds' AND m.producer_worker_id = :w;

-- the messages are delivered like any other
SELECT payload FROM pgqrs.dequeue('tp_b', 10, 30) ORDER BY id;

-- list_topics: each topic with its queues by name
SELECT topic_name FROM pgqrs.create_topic('tp_empty');
SELECT topic_name, queue_names FROM pgqrs.list_topics() WHERE topic_name LIKE 'tp\_%';

-- unsubscribe: true when it ended one, false when there was none
SELECT pgqrs.unsubscribe('tp_orders', 'tp_a') AS ended, pgqrs.unsubscribe('tp_orders', 'tp_a') AS again,
       pgqrs.unsubscribe('tp_orders', 'tp_c') AS never;
SELECT queue_name FROM pgqrs.publish('tp_orders', '{"order": 5}');

-- deleting a subscribed queue ends its subscriptions
SELECT pgqrs.subscribe('tp_orders', 'tp_c');
SELECT pgqrs.delete_queue('tp_c', true);
SELECT queue_names FROM pgqrs.list_topics() WHERE topic_name = 'tp_orders';
SELECT queue_name FROM pgqrs.publish('tp_orders', '{"order": 6}');

-- unknown topic or queue: P0002, nothing changes
SELECT count(*) AS subscriptions_before FROM pgqrs.subscriptions \gset
SELECT pgqrs.publish('tp_nope', '{}');
\echo sqlstate :SQLSTATE
SELECT pgqrs.subscribe('tp_nope', 'tp_a');
\echo sqlstate :SQLSTATE
SELECT pgqrs.subscribe('tp_orders', 'tp_nope');
\echo sqlstate :SQLSTATE
SELECT pgqrs.unsubscribe('tp_nope', 'tp_a');
\echo sqlstate :SQLSTATE
SELECT pgqrs.unsubscribe('tp_orders', 'tp_nope');
\echo sqlstate :SQLSTATE
SELECT pgqrs.delete_topic('tp_nope');
\echo sqlstate :SQLSTATE
SELECT count(*) = :subscriptions_before AS unchanged FROM pgqrs.subscriptions;

-- bad input: names, NULLs, payloads, delays; nothing inserted
SELECT count(*) AS messages_before FROM pgqrs.messages \gset
SELECT pgqrs.create_topic('bad name');
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_topic(repeat('t', 129));
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_topic(NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.subscribe('tp_orders', NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.publish('tp_orders', '[1]');
\echo sqlstate :SQLSTATE
SELECT pgqrs.publish('tp_orders', NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.publish('tp_orders', '{}', -1);
\echo sqlstate :SQLSTATE
SELECT pgqrs.publish('tp_orders', '{}', 0, -42);
\echo sqlstate :SQLSTATE
SELECT (pgqrs.shutdown_worker(:w)).status;
\set VERBOSITY sqlstate
SELECT pgqrs.publish('tp_orders', '{}', 0, :w);
\set VERBOSITY default
SELECT count(*) = :messages_before AS nothing_inserted FROM pgqrs.messages;

-- delete_topic: the topic and its subscriptions go, the queues and messages stay
SELECT count(*) AS messages_before FROM pgqrs.messages \gset
SELECT pgqrs.delete_topic('tp_orders');
SELECT topic_name FROM pgqrs.list_topics() WHERE topic_name LIKE 'tp\_%';
SELECT count(*) AS orphan_subscriptions FROM pgqrs.subscriptions s
 WHERE NOT EXISTS (SELECT FROM pgqrs.topics t WHERE t.id = s.topic_id);
SELECT count(*) = :messages_before AS messages_kept FROM pgqrs.messages;
SELECT pgqrs.publish('tp_orders', '{}');
\echo sqlstate :SQLSTATE

-- publish's access: producer access to every subscribed queue, or nothing is
-- inserted (42501, naming no queue); list_topics shows only the caller's queues
CREATE ROLE regress_tp_producer_a;
CREATE ROLE regress_tp_producer_all;
SELECT pgqrs.grant_access('regress_tp_producer_a', 'producer', 'tp_a');
SELECT pgqrs.grant_access('regress_tp_producer_all', 'producer');
SELECT topic_name FROM pgqrs.create_topic('tp_fan');
SELECT pgqrs.subscribe('tp_fan', 'tp_a'), pgqrs.subscribe('tp_fan', 'tp_b');
SELECT count(*) AS messages_before FROM pgqrs.messages \gset
SET ROLE regress_tp_producer_a;
SELECT pgqrs.publish('tp_fan', '{"from": "a"}');
\echo sqlstate :SQLSTATE
SELECT topic_name, queue_names FROM pgqrs.list_topics() WHERE topic_name LIKE 'tp\_%';
RESET ROLE;
SELECT count(*) = :messages_before AS nothing_inserted FROM pgqrs.messages;
SET ROLE regress_tp_producer_all;
SELECT queue_name FROM pgqrs.publish('tp_fan', '{"from": "all"}');
-- a producer may not change topics
SELECT pgqrs.subscribe('tp_fan', 'tp_a');
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_topic('tp_mine');
\echo sqlstate :SQLSTATE
RESET ROLE;
SELECT pgqrs.unsubscribe('tp_fan', 'tp_b');
SET ROLE regress_tp_producer_a;
SELECT queue_name FROM pgqrs.publish('tp_fan', '{"from": "a"}');
RESET ROLE;
SELECT pgqrs.revoke_access('regress_tp_producer_a', 'producer');
SELECT pgqrs.revoke_access('regress_tp_producer_all', 'producer');
DROP ROLE regress_tp_producer_a;
DROP ROLE regress_tp_producer_all;
