// verify and version: is the schema whole, which library is loaded.
#include "guard.hpp"
#include "spi.hpp"

using namespace pgqrs;

// Every column the functions rely on, as table.column:type.
static const char *const expected_columns[] = {
    "queues.id:bigint", "queues.queue_name:text", "queues.created_at:timestamp with time zone",
    "queues.max_attempts:integer", "queues.dedup_window_seconds:integer",
    "queues.retry_backoff:text",
    "queues.retry_delay_seconds:double precision", "queues.retry_max_delay_seconds:double precision",
    "queues.retry_jitter:double precision", "queues.priority_levels:integer",
    "workers.id:bigint", "workers.hostname:text", "workers.port:integer",
    "workers.queue_id:bigint", "workers.started_at:timestamp with time zone",
    "workers.heartbeat_at:timestamp with time zone",
    "workers.shutdown_at:timestamp with time zone", "workers.status:text",
    "workers.registered_by:regrole",
    "messages.id:bigint", "messages.queue_id:bigint", "messages.payload:jsonb",
    "messages.vt:timestamp with time zone", "messages.enqueued_at:timestamp with time zone",
    "messages.read_ct:integer", "messages.dequeued_at:timestamp with time zone",
    "messages.producer_worker_id:bigint", "messages.consumer_worker_id:bigint",
    "messages.dedup_key:text",
    "messages.retry_at:timestamp with time zone", "messages.last_error:text",
    "messages.priority:smallint", "messages.group_key:text",
    "messages.held_vt:timestamp with time zone",
    "archive.id:bigint", "archive.queue_id:bigint", "archive.payload:jsonb",
    "archive.vt:timestamp with time zone", "archive.enqueued_at:timestamp with time zone",
    "archive.read_ct:integer", "archive.dequeued_at:timestamp with time zone",
    "archive.producer_worker_id:bigint", "archive.consumer_worker_id:bigint",
    "archive.archived_at:timestamp with time zone", "archive.dead_letter:boolean",
    "archive.dedup_key:text",
    "archive.last_error:text", "archive.priority:smallint", "archive.group_key:text",
    "grants.role_id:regrole", "grants.access:text", "grants.queue_id:bigint",
    "grants.granted_at:timestamp with time zone",
    "topics.id:bigint", "topics.topic_name:text", "topics.created_at:timestamp with time zone",
    "subscriptions.topic_id:bigint", "subscriptions.queue_id:bigint",
    "subscriptions.subscribed_at:timestamp with time zone",
    "schedules.id:bigint", "schedules.schedule_name:text", "schedules.cron_expression:text",
    "schedules.time_zone:text", "schedules.queue_name:text", "schedules.payload:jsonb",
    "schedules.catch_up:boolean", "schedules.paused:boolean",
    "schedules.next_run_at:timestamp with time zone", "schedules.last_run_at:timestamp with time zone",
    "schedules.last_message_id:bigint", "schedules.runs:bigint", "schedules.skipped_runs:bigint",
    "schedules.last_error:text", "schedules.created_by:regrole",
    "schedules.created_at:timestamp with time zone",
    "message_groups.queue_id:bigint", "message_groups.group_key:text", "message_groups.messages:bigint",
    "message_groups.head_id:bigint", "message_groups.held_from:bigint",
    "message_groups.version:bigint",
};

static const char *const expected_indexes[] = {
    "queues_pkey", "queues_queue_name_key", "workers_pkey", "workers_hostname_port_key",
    "messages_pkey", "messages_queue_vt_idx", "messages_consumer_idx", "archive_pkey",
    "archive_queue_archived_idx", "archive_dead_idx", "grants_role_id_access_queue_id_key",
    "messages_dedup_key_idx", "archive_dedup_key_idx", "topics_pkey", "topics_topic_name_key",
    "subscriptions_pkey", "subscriptions_queue_idx",
    "schedules_pkey", "schedules_schedule_name_key", "schedules_due_idx",
    "message_groups_pkey",
};

static const char *const expected_functions[] = {
    "create_queue", "set_max_attempts", "set_retry_policy", "get_queue", "list_queues", "delete_queue",
    "purge_queue", "purge_archive", "enqueue", "enqueue_batch", "dequeue", "dequeue_wait", "archive",
    "archive_batch", "delete", "delete_batch", "extend_visibility", "release",
    "register_worker", "get_worker", "list_workers", "heartbeat", "suspend_worker",
    "resume_worker", "shutdown_worker", "worker_status", "worker_messages", "delete_worker",
    "purge_old_workers", "reclaim_messages", "dlq", "replay_dlq", "queue_metrics",
    "all_queues_metrics", "system_stats", "worker_stats", "worker_health", "verify", "version",
    "grant_access", "revoke_access", "enqueue_dedup", "enqueue_batch_dedup", "set_dedup_window",
    "create_topic", "delete_topic", "list_topics", "subscribe", "unsubscribe", "publish",
    "grant_access", "revoke_access", "create_schedule", "list_schedules", "pause_schedule",
    "resume_schedule", "delete_schedule", "run_due_schedules", "cron_times", "set_priority",
};

// $1: the schema, $2: expected columns, $3: expected indexes, $4: expected functions.
// Returns the first object missing or altered, if any.
static Statement find_damage = {
    "SELECT 'column ' || e AS damage FROM unnest($2::text[]) e WHERE e NOT IN ("
    "  SELECT c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod) "
    "  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
    "  WHERE c.relnamespace = $1 AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped) "
    "UNION ALL SELECT 'index ' || e FROM unnest($3::text[]) e WHERE e NOT IN ("
    "  SELECT relname FROM pg_class WHERE relnamespace = $1 AND relkind = 'i') "
    "UNION ALL SELECT 'function ' || e FROM unnest($4::text[]) e WHERE e NOT IN ("
    "  SELECT proname FROM pg_proc WHERE pronamespace = $1) "
    "LIMIT 1",
    4, {OIDOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID}};

template <size_t N>
static Datum text_array(const char *const (&items)[N])
{
    Datum *elements = static_cast<Datum *>(palloc(N * sizeof(Datum)));
    for (size_t i = 0; i < N; i++)
        elements[i] = CStringGetTextDatum(items[i]);
    return PointerGetDatum(construct_array(elements, N, TEXTOID, -1, false, TYPALIGN_INT));
}

PGQRS_FUNCTION(verify)
{
    Oid schema = get_func_namespace(fcinfo->flinfo->fn_oid);
    CallScope call = begin_call(fcinfo);
    Datum args[4] = {ObjectIdGetDatum(schema), text_array(expected_columns),
                     text_array(expected_indexes), text_array(expected_functions)};
    Rows damage = exec(find_damage, args, "    ");
    if (damage.count > 0)
        ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                        errmsg("pgqrs schema \"%s\" is damaged: %s is missing or altered",
                               get_namespace_name(schema),
                               TextDatumGetCString(value(damage, 0, "damage", TEXTOID))),
                        errhint("Reinstall the extension: DROP EXTENSION pgqrs; CREATE EXTENSION pgqrs.")));
    end_call(call);
    PG_RETURN_VOID();
}

PGQRS_FUNCTION(version)
{
    PG_RETURN_TEXT_P(cstring_to_text(PGQRS_VERSION));
}
