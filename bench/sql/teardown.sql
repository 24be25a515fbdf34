-- Removes what setup.sql made (used when the bench ran on PGQRS_DSN).
SET client_min_messages = warning;
SELECT pgqrs.delete_queue('bench', true);
SELECT pgqrs.delete_queue('bench_retry', true);
DROP SCHEMA IF EXISTS bench_bare CASCADE;
