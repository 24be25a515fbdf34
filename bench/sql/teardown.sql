-- Removes what setup.sql made (used when the bench ran on PGQRS_DSN).
SET client_min_messages = warning;
SELECT pgqrs.delete_schedule('bench');
SELECT pgqrs.delete_queue('bench', true);
SELECT pgqrs.delete_topic('bench_fan');
SELECT pgqrs.delete_queue('bench_f' || i, true) FROM generate_series(1, 10) i;
SELECT pgqrs.delete_queue('bench_retry', true);
SELECT pgqrs.delete_queue('bench_groups', true);
SELECT pgqrs.delete_queue('bench_prio', true);
DROP SCHEMA IF EXISTS bench_bare CASCADE;
