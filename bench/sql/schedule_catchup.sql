-- Schedules: :batch missed minutes of schedule 'bench' enqueued by one
-- run_due_schedules call (the row is locked first, so a background worker
-- passes it by)
BEGIN;
UPDATE pgqrs.schedules SET next_run_at = date_trunc('minute', now()) - (:batch - 1) * interval '1 minute'
 WHERE schedule_name = 'bench';
SELECT pgqrs.run_due_schedules();
COMMIT;
