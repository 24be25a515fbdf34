-- Schedules: create_schedule, list_schedules, pause_schedule,
-- resume_schedule, delete_schedule, run_due_schedules and cron_times.
\set SHOW_CONTEXT never
-- The background worker leaves this database to the calls below.
SELECT format('ALTER DATABASE %I SET pgqrs.run_schedules = off', current_database()) \gexec
-- state(): a fingerprint of the schedules and messages
CREATE FUNCTION pg_temp.state() RETURNS text LANGUAGE sql AS $$
  SELECT md5(concat_ws('|',
    (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM pgqrs.schedules t),
    (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM pgqrs.messages t)))
$$;
CREATE TEMP TABLE saved_state (fingerprint text);
CREATE FUNCTION pg_temp.save_state() RETURNS void LANGUAGE sql AS $$
  DELETE FROM pg_temp.saved_state;
  INSERT INTO pg_temp.saved_state SELECT pg_temp.state();
$$;
CREATE FUNCTION pg_temp.unchanged() RETURNS boolean LANGUAGE sql AS $$
  SELECT fingerprint = pg_temp.state() FROM pg_temp.saved_state
$$;
-- times(expression, zone, after, n): the next n times, as text in UTC
CREATE FUNCTION pg_temp.times(e text, z text, a timestamptz, n int DEFAULT 6) RETURNS text
LANGUAGE sql AS $$
  SELECT string_agg(to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD Dy HH24:MI'), ', ' ORDER BY t)
    FROM pgqrs.cron_times(e, z, a, n) t
$$;

SELECT queue_name FROM pgqrs.create_queue('sc_q');

-- create_schedule returns the row: UTC and catch-up by default, the first
-- time after now as next_run_at
SELECT schedule_name, cron_expression, time_zone, queue_name, payload, catch_up, paused,
       next_run_at = (SELECT pgqrs.cron_times('0 3 * * *', 'UTC', now(), 1)) AS next_is_first_time,
       last_run_at, runs, skipped_runs, last_error, created_by = current_user::regrole AS created_by_me
  FROM pgqrs.create_schedule('sc_daily', '0 3 * * *', 'sc_q', '{"job": "report"}');
SELECT schedule_name, time_zone, catch_up
  FROM pgqrs.create_schedule('sc_paris', '30 8 * * mon-fri', 'sc_q', '{"job": "open"}',
                             time_zone => 'Europe/Paris', catch_up => false);

-- Bad input: a clear error, nothing created
SELECT pg_temp.save_state();
SELECT pgqrs.create_schedule('sc_daily', '0 4 * * *', 'sc_q', '{}');
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_schedule(NULL, '0 4 * * *', 'sc_q', '{}');
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_schedule('sc_x', NULL, 'sc_q', '{}');
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_schedule('sc_x', '0 4 * * *', 'sc_q', NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_schedule('sc_x', '0 4 * * *', 'sc_q', '{}', NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_schedule('sc_x', '0 4 * * *', 'sc_q', '{}', 'UTC', NULL);
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_schedule('bad name', '0 4 * * *', 'sc_q', '{}');
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_schedule('', '0 4 * * *', 'sc_q', '{}');
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_schedule('sc_x', '0 4 * * *', 'no_such_queue', '{}');
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_schedule('sc_x', '0 4 * * *', 'sc_q', '[1, 2]');
\echo sqlstate :SQLSTATE
SELECT pgqrs.create_schedule('sc_x', '0 4 * * *', 'sc_q', '{}', 'Mars/Olympus_Mons');
\echo sqlstate :SQLSTATE
-- invalid expressions: the field and the reason
DO $$
DECLARE
    e text;
    failures int := 0;
    detail text;
BEGIN
    FOREACH e IN ARRAY ARRAY['', '* * * *', '* * * * * *', '60 * * * *', '* 24 * * *', '* * 0 * *',
                             '* * 32 * *', '* * * 13 *', '* * * * 8', '5-1 * * * *', '*/0 * * * *',
                             '*/61 * * * *', '1,,2 * * * *', '1- * * * *', '* * * foo *',
                             '* * * * mon-', 'a * * * *', '*-5 * * * *', '1/x * * * *',
                             '99999999999 * * * *', '@reboot', '@daily x', '@every 5m',
                             '* * * jan *x', '0 0 30 2 *', '0 0 31 4,6,9,11 *'] LOOP
        BEGIN
            PERFORM pgqrs.create_schedule('sc_x', e, 'sc_q', '{}');
        EXCEPTION WHEN invalid_parameter_value THEN
            GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
            failures := failures + 1;
            RAISE NOTICE '%: %', quote_literal(e), coalesce(nullif(detail, ''), SQLERRM);
        END;
    END LOOP;
    RAISE NOTICE 'refused with 22023: %', failures;
END $$;
SELECT pg_temp.unchanged() AS unchanged_after_bad_input;

-- Cron expressions, from 2026-01-01 00:00 UTC (a Thursday)
\set t0 '''2026-01-01 00:00Z'''
SELECT e, pg_temp.times(e, 'UTC', :t0) FROM unnest(ARRAY[
  '* * * * *', '*/15 * * * *', '5/20 * * * *', '0,30 9 * * *', '10-12 1 * * *', '0 0-23/8 * * *',
  '0 12 * JAN,mar 1', '0 0 1 * *', '0 0 * * 0', '0 0 * * 7', '0 0 * * SUN', '0 6 * * sat-sun',
  '0 0 13 * 5', '0 0 */10 * 5', '0 0 13 * *', '0 0 * feb-mar/2 mon', '0 0 29 2 *',
  '59 23 31 12 *', '0 0 1-7 * mon']) e;
SELECT e, pg_temp.times(e, 'UTC', :t0, 2) FROM unnest(ARRAY[
  '@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly', '@HOURLY',
  '  0   4  *  *  *  ']) e;
-- a time exactly on a schedule's time is not "after" it
SELECT pg_temp.times('0 * * * *', 'UTC', '2026-01-01 05:00Z', 2);
SELECT pg_temp.times('0 * * * *', 'UTC', '2026-01-01 04:59:59.999999Z', 2);

-- Time zones: the wall-clock time of the zone, across DST changes.
-- New York springs forward on 2026-03-08 (02:00 -> 03:00): 02:30 does not
-- exist and runs at 03:30 local (07:30 UTC); falls back on 2026-11-01
-- (02:00 -> 01:00): 01:30 happens twice and runs once, at the second (EST).
SELECT pg_temp.times('30 2 * * *', 'America/New_York', '2026-03-06 12:00Z', 4);
SELECT pg_temp.times('30 1 * * *', 'America/New_York', '2026-10-30 12:00Z', 4);
SELECT pg_temp.times('*/30 * * * *', 'America/New_York', '2026-03-08 06:00Z', 4);
SELECT pg_temp.times('*/30 * * * *', 'America/New_York', '2026-11-01 04:00Z', 6);
-- the hour skipped at the spring change: 02:00 and 03:00 are one instant, enqueued once
SELECT pg_temp.times('0 2,3 * * *', 'America/New_York', '2026-03-07 12:00Z', 3);
SELECT pg_temp.times('0 9 * * *', 'Europe/Paris', '2026-03-27 00:00Z', 4);
SELECT pg_temp.times('0 9 * * *', 'Asia/Kolkata', :t0, 2);
-- cron_times edges
SELECT count(*) FROM pgqrs.cron_times('* * * * *', 'UTC', now(), 0);
SELECT pgqrs.cron_times('* * * * *', 'UTC', now(), -1);
\echo sqlstate :SQLSTATE
SELECT pgqrs.cron_times('* * * * *', 'UTC', NULL);
\echo sqlstate :SQLSTATE
SELECT count(*) FROM pgqrs.cron_times('0 0 1 1 *', 'UTC', 'infinity');

-- Running: every time that has come is enqueued once
SELECT queue_name FROM pgqrs.create_queue('sc_run');
SELECT schedule_name FROM pgqrs.create_schedule('sc_minute', '* * * * *', 'sc_run', '{"tick": true}');
SELECT schedule_name FROM pgqrs.create_schedule('sc_latest', '* * * * *', 'sc_run', '{"latest": true}',
                                                catch_up => false);
-- as if the server had been down: 4 times due (3 minutes ago to this minute)
BEGIN;
UPDATE pgqrs.schedules SET next_run_at = date_trunc('minute', now()) - interval '3 minutes'
 WHERE schedule_name IN ('sc_minute', 'sc_latest');
SELECT pgqrs.run_due_schedules() AS enqueued;
SELECT pgqrs.run_due_schedules() AS enqueued_again;
SELECT schedule_name, runs, skipped_runs, last_run_at = date_trunc('minute', now()) AS last_is_now,
       next_run_at = date_trunc('minute', now()) + interval '1 minute' AS next_is_next_minute,
       last_message_id = (SELECT max(id) FROM pgqrs.messages m WHERE m.payload = s.payload) AS last_id,
       last_error
  FROM pgqrs.list_schedules() s WHERE schedule_name LIKE 'sc\_%t%' ORDER BY id;
SELECT payload, count(*), bool_and(vt <= clock_timestamp()) AS visible
  FROM pgqrs.messages m JOIN pgqrs.queues q ON q.id = m.queue_id
 WHERE q.queue_name = 'sc_run' GROUP BY payload ORDER BY payload::text;
COMMIT;

-- a paused schedule is not run; resumed, it goes on from its next time after now
SELECT schedule_name, paused FROM pgqrs.pause_schedule('sc_minute');
UPDATE pgqrs.schedules SET next_run_at = now() - interval '10 minutes' WHERE schedule_name = 'sc_minute';
SELECT pgqrs.run_due_schedules() AS enqueued_while_paused;
SELECT paused, next_run_at > now() AS next_in_future FROM pgqrs.resume_schedule('sc_minute');
SELECT paused, next_run_at > now() AS next_in_future FROM pgqrs.resume_schedule('sc_minute');
SELECT pgqrs.pause_schedule('no_such_schedule');
\echo sqlstate :SQLSTATE
SELECT pgqrs.resume_schedule(NULL);
\echo sqlstate :SQLSTATE

-- A schedule whose queue is gone: the error is logged once and kept in
-- last_error, the time stays due, the other schedules go on
SELECT queue_name FROM pgqrs.create_queue('sc_gone');
SELECT schedule_name FROM pgqrs.create_schedule('sc_broken', '* * * * *', 'sc_gone', '{"b": 1}');
SELECT pgqrs.delete_queue('sc_gone');
BEGIN;
UPDATE pgqrs.schedules SET next_run_at = date_trunc('minute', now()) - interval '1 minute'
 WHERE schedule_name IN ('sc_broken', 'sc_minute');
SELECT pgqrs.run_due_schedules() AS enqueued;
SELECT pgqrs.run_due_schedules() AS enqueued_again_no_new_warning;
SELECT schedule_name, runs, last_error, next_run_at < now() AS still_due
  FROM pgqrs.list_schedules() WHERE schedule_name IN ('sc_broken', 'sc_minute') ORDER BY id;
COMMIT;
-- the queue back: the missed times are enqueued and the error cleared
SELECT queue_name FROM pgqrs.create_queue('sc_gone');
SELECT pgqrs.run_due_schedules() >= 2 AS enqueued_the_missed_times;
SELECT runs >= 2 AS ran, last_error FROM pgqrs.list_schedules() WHERE schedule_name = 'sc_broken';

-- a payload over a lowered pgqrs.max_payload_bytes: refused at the run, kept in last_error
BEGIN;
SELECT schedule_name FROM pgqrs.create_schedule('sc_big', '* * * * *', 'sc_gone', '{"big": "xxxxxxxxxxxxxxxxxxxxxx"}');
SET LOCAL pgqrs.max_payload_bytes = 16;
UPDATE pgqrs.schedules SET next_run_at = now() - interval '1 minute' WHERE schedule_name = 'sc_big';
SELECT pgqrs.run_due_schedules() AS enqueued;
SELECT runs, last_error FROM pgqrs.list_schedules() WHERE schedule_name = 'sc_big';
ROLLBACK;

-- one call enqueues at most 1000 times of a schedule; the next call goes on
BEGIN;
UPDATE pgqrs.schedules SET runs = 0, next_run_at = date_trunc('minute', now()) - interval '1500 minutes'
 WHERE schedule_name = 'sc_broken';
SELECT pgqrs.run_due_schedules() AS first_call, pgqrs.run_due_schedules() AS second_call;
SELECT pgqrs.run_due_schedules() AS third_call;
SELECT runs FROM pgqrs.list_schedules() WHERE schedule_name = 'sc_broken';
COMMIT;

-- delete_schedule
SELECT pgqrs.delete_schedule('sc_broken');
SELECT pgqrs.delete_schedule('sc_broken');
\echo sqlstate :SQLSTATE
SELECT schedule_name FROM pgqrs.list_schedules() WHERE schedule_name LIKE 'sc\_%' ORDER BY id;
