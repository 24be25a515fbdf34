// The SQL texts of the client.
#include "pgqrs/statements.hpp"

#include <cstdio>

namespace pgqrs {

std::string quote_ident(const std::string& name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string array_literal(const std::vector<std::int64_t>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        out += std::to_string(values[i]);
    }
    return out + "}";
}

std::string seconds_interval(double seconds) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f seconds", seconds);
    return buf;
}

Statements::Statements(const std::string& schema_name) : schema(schema_name), qschema(quote_ident(schema_name)) {
    const std::string S = qschema + ".";
    // rows of one queue when $1 is not NULL; get_queue raises for an unknown queue
    // (its InitPlan runs only when $1 is not NULL, also in generic plans)
    const std::string queue_of = "(SELECT q.id FROM " + S + "get_queue($1::text) q)";
    const std::string in_queue = "($1::text IS NULL OR queue_id = " + queue_of + ")";
    const std::string is_queue = "($1::text IS NULL OR id = " + queue_of + ")";
    // each row of a call or table as one JSON object
    auto rows = [&](const std::string& from) { return "SELECT pg_catalog.row_to_json(r)::text FROM " + from + " r"; };
    const std::string row_cols =
        "id, queue_id, payload::text AS payload, vt, enqueued_at, read_ct, dequeued_at, "
        "producer_worker_id, consumer_worker_id, dedup_key";
    const std::string msg_cols = row_cols + ", retry_at, last_error, priority, group_key, held_vt";
    // an archived message has no next attempt and waits behind no group head
    const std::string arch_cols = row_cols + ", NULL::timestamptz AS retry_at, last_error, priority, group_key, "
                                             "NULL::timestamptz AS held_vt, archived_at, dead_letter";
    const std::string payload_array =
        "ARRAY(SELECT t.e FROM pg_catalog.jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY t.n)";
    const std::string key_array =
        "ARRAY(SELECT t.k FROM pg_catalog.jsonb_array_elements_text($3::jsonb) WITH ORDINALITY AS t(k, n) "
        "ORDER BY t.n)";
    // $n, a JSON array of strings or null, as text[]; NULL stays NULL (no keys at all)
    auto opt_key_array = [](const std::string& n) {
        return "CASE WHEN " + n + "::jsonb IS NULL THEN NULL::text[] ELSE ARRAY(SELECT t.k FROM "
               "pg_catalog.jsonb_array_elements_text(" + n + "::jsonb) WITH ORDINALITY AS t(k, n) ORDER BY t.n) END";
    };
    const std::string topic_cols =
        "topic_name, created_at, pg_catalog.array_to_json(queue_names)::text AS queue_names";

    create_schema = "CREATE SCHEMA IF NOT EXISTS " + qschema;
    create_extension = "CREATE EXTENSION IF NOT EXISTS pgqrs SCHEMA " + qschema;
    drop_extension = "DROP EXTENSION IF EXISTS pgqrs CASCADE";
    drop_schema = "DROP SCHEMA IF EXISTS " + qschema + " RESTRICT";
    extension_info =
        "SELECT e.extversion, n.nspname FROM pg_catalog.pg_extension e "
        "JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pgqrs'";
    verify = "SELECT " + S + "verify()";
    version = "SELECT " + S + "\"version\"()";
    grant_access = "SELECT " + S + "grant_access($1::name, $2::text)";

    create_queue = "SELECT * FROM " + S + "create_queue($1::text, $2::int)";
    set_max_attempts = "SELECT * FROM " + S + "set_max_attempts($1::text, $2::int)";
    set_dedup_window = "SELECT * FROM " + S + "set_dedup_window($1::text, $2::int)";
    set_retry_policy = "SELECT * FROM " + S +
                       "set_retry_policy($1::text, $2::text, $3::float8, $4::float8, $5::float8)";
    get_queue = "SELECT * FROM " + S + "get_queue($1::text)";
    list_queues = "SELECT * FROM " + S + "list_queues()";
    delete_queue = "SELECT " + S + "delete_queue($1::text, $2::boolean)";
    purge_queue = "SELECT " + S + "purge_queue($1::text)";
    purge_archive = "SELECT " + S + "purge_archive($1::text, $2::interval)";

    enqueue = "SELECT " + S + "enqueue($1::text, $2::jsonb, $3::int, $4::bigint)";
    enqueue_batch =
        "SELECT r.id FROM " + S + "enqueue_batch($1::text, ARRAY(SELECT t.e FROM "
        "pg_catalog.jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY t.n), "
        "$3::int, $4::bigint) WITH ORDINALITY AS r(id, n) ORDER BY r.n";
    enqueue_dedup = "SELECT msg_id, inserted FROM " + S +
                    "enqueue_dedup($1::text, $2::jsonb, $3::text, $4::int, $5::bigint)";
    enqueue_batch_dedup = "SELECT r.msg_id, r.inserted FROM " + S + "enqueue_batch_dedup($1::text, " +
                          payload_array + ", " + key_array + ", $4::int, $5::bigint) WITH ORDINALITY AS "
                          "r(msg_id, inserted, n) ORDER BY r.n";
    enqueue_ordered = "SELECT " + S + "enqueue($1::text, $2::jsonb, $3::int, $4::bigint, "
                      "priority => $5::int, group_key => $6::text)";
    enqueue_batch_ordered = "SELECT r.id FROM " + S + "enqueue_batch($1::text, " + payload_array +
                            ", $3::int, $4::bigint, priorities => $5::int[], group_keys => " + opt_key_array("$6") +
                            ") WITH ORDINALITY AS r(id, n) ORDER BY r.n";
    enqueue_dedup_ordered = "SELECT msg_id, inserted FROM " + S +
                            "enqueue_dedup($1::text, $2::jsonb, $3::text, $4::int, $5::bigint, "
                            "priority => $6::int, group_key => $7::text)";
    enqueue_batch_dedup_ordered = "SELECT r.msg_id, r.inserted FROM " + S + "enqueue_batch_dedup($1::text, " +
                                  payload_array + ", " + key_array + ", $4::int, $5::bigint, priorities => $6::int[], "
                                  "group_keys => " + opt_key_array("$7") +
                                  ") WITH ORDINALITY AS r(msg_id, inserted, n) ORDER BY r.n";
    set_priority = "SELECT " + S + "set_priority($1::bigint, $2::int)";

    create_topic = "SELECT topic_name, created_at, '[]' AS queue_names FROM " + S + "create_topic($1::text)";
    delete_topic = "SELECT " + S + "delete_topic($1::text)";
    list_topics = "SELECT " + topic_cols + " FROM " + S + "list_topics()";
    subscribe = "SELECT " + S + "subscribe($1::text, $2::text)";
    unsubscribe = "SELECT " + S + "unsubscribe($1::text, $2::text)";
    publish = "SELECT queue_name, msg_id FROM " + S + "publish($1::text, $2::jsonb, $3::int, $4::bigint)";

    dequeue = "SELECT " + msg_cols + " FROM " + S + "dequeue($1::text, $2::int, $3::int, $4::bigint)";
    dequeue_default_lock =
        "SELECT " + msg_cols + " FROM " + S + "dequeue($1::text, $2::int, worker_id => $3::bigint)";
    dequeue_wait = "SELECT " + msg_cols + " FROM " + S +
                   "dequeue_wait($1::text, $2::int, $3::int, $4::bigint, $5::int)";
    dequeue_wait_default_lock = "SELECT " + msg_cols + " FROM " + S +
                                "dequeue_wait($1::text, $2::int, worker_id => $3::bigint, wait_seconds => $4::int)";
    archive = "SELECT " + S + "archive($1::bigint, $2::bigint, $3::int)";
    archive_batch = "SELECT r.id FROM " + S + "archive_batch($1::bigint[], $2::bigint, $3::int[]) AS r(id)";
    delete_message = "SELECT " + S + "\"delete\"($1::bigint, $2::bigint, $3::int)";
    delete_batch = "SELECT r.id FROM " + S + "delete_batch($1::bigint[], $2::bigint, $3::int[]) AS r(id)";
    extend_visibility = "SELECT " + S + "extend_visibility($1::bigint, $2::int, $3::bigint, $4::int)";
    release = "SELECT " + S + "\"release\"($1::bigint[], $2::bigint, $3::int[], $4::int, $5::text)";
    // a worker that stops gives its messages back for another consumer at once
    release_worker_messages =
        "SELECT " + S + "\"release\"(COALESCE(pg_catalog.array_agg(m.id ORDER BY m.id), '{}'), $1::bigint, "
        "COALESCE(pg_catalog.array_agg(m.read_ct ORDER BY m.id), '{}'), 0) FROM " + S +
        "worker_messages($1::bigint) m";

    register_worker = "SELECT * FROM " + S + "register_worker($1::text, $2::int, $3::text)";
    get_worker = "SELECT * FROM " + S + "get_worker($1::bigint)";
    list_workers = "SELECT * FROM " + S + "list_workers($1::text)";
    heartbeat = "SELECT " + S + "heartbeat($1::bigint)";
    suspend_worker = "SELECT * FROM " + S + "suspend_worker($1::bigint)";
    resume_worker = "SELECT * FROM " + S + "resume_worker($1::bigint)";
    shutdown_worker = "SELECT * FROM " + S + "shutdown_worker($1::bigint)";
    worker_status = "SELECT " + S + "worker_status($1::bigint)";
    worker_messages = "SELECT " + msg_cols + " FROM " + S + "worker_messages($1::bigint)";
    delete_worker = "SELECT " + S + "delete_worker($1::bigint)";
    purge_old_workers = "SELECT " + S + "purge_old_workers($1::interval)";
    reclaim_messages = "SELECT " + S + "reclaim_messages($1::text, $2::interval)";

    dlq = "SELECT " + arch_cols + " FROM " + S + "dlq($1::text)";
    replay_dlq = "SELECT " + S + "replay_dlq($1::text, $2::bigint[])";

    create_schedule = "SELECT * FROM " + S +
                      "create_schedule($1::text, $2::text, $3::text, $4::jsonb, $5::text, $6::boolean)";
    list_schedules = "SELECT * FROM " + S + "list_schedules()";
    pause_schedule = "SELECT * FROM " + S + "pause_schedule($1::text)";
    resume_schedule = "SELECT * FROM " + S + "resume_schedule($1::text)";
    delete_schedule = "SELECT " + S + "delete_schedule($1::text)";
    run_due_schedules = "SELECT " + S + "run_due_schedules()";
    cron_times = "SELECT t FROM " + S + "cron_times($1::text, $2::text, $3::timestamptz, $4::int) t";

    queue_metrics = "SELECT * FROM " + S + "queue_metrics($1::text)";
    all_queues_metrics = "SELECT * FROM " + S + "all_queues_metrics()";
    system_stats = "SELECT * FROM " + S + "system_stats()";
    worker_stats = "SELECT * FROM " + S + "worker_stats($1::text)";
    worker_health = "SELECT * FROM " + S + "worker_health($1::text, $2::interval)";
    claim_frontier_stats = "SELECT * FROM " + S + "claim_frontier_stats()";
    reset_claim_frontier = "SELECT " + S + "reset_claim_frontier($1::text)";

    queues_count = "SELECT pg_catalog.count(*) FROM " + S + "queues WHERE " + is_queue;
    queues_list = "SELECT * FROM " + S + "queues WHERE " + is_queue + " ORDER BY id";
    queues_get = "SELECT * FROM " + S + "queues WHERE id = $1::bigint";
    workers_count = "SELECT pg_catalog.count(*) FROM " + S + "workers WHERE " + in_queue;
    workers_list = "SELECT * FROM " + S + "workers WHERE " + in_queue + " ORDER BY id";
    workers_get = "SELECT * FROM " + S + "workers WHERE id = $1::bigint";
    messages_count = "SELECT pg_catalog.count(*) FROM " + S + "messages WHERE " + in_queue;
    messages_list = "SELECT " + msg_cols + " FROM " + S + "messages WHERE " + in_queue +
                    " ORDER BY id LIMIT $2::bigint";
    messages_get = "SELECT " + msg_cols + " FROM " + S + "messages WHERE id = $1::bigint";
    archive_count = "SELECT pg_catalog.count(*) FROM " + S + "archive WHERE " + in_queue;
    archive_list = "SELECT " + arch_cols + " FROM " + S + "archive WHERE " + in_queue +
                   " ORDER BY id LIMIT $2::bigint";
    archive_get = "SELECT " + arch_cols + " FROM " + S + "archive WHERE id = $1::bigint";

    JsonStatements& j = json;
    j.create_queue = rows(S + "create_queue($1::text, $2::int)");
    j.set_max_attempts = rows(S + "set_max_attempts($1::text, $2::int)");
    j.set_dedup_window = rows(S + "set_dedup_window($1::text, $2::int)");
    j.enqueue_dedup = rows(S + "enqueue_dedup($1::text, $2::jsonb, $3::text, $4::int, $5::bigint)");
    j.enqueue_batch_dedup = "SELECT pg_catalog.json_build_object('msg_id', r.msg_id, 'inserted', r.inserted)::text FROM " +
                            S + "enqueue_batch_dedup($1::text, " + payload_array + ", " + key_array +
                            ", $4::int, $5::bigint) WITH ORDINALITY AS r(msg_id, inserted, n) ORDER BY r.n";
    j.create_topic = "SELECT pg_catalog.json_build_object('topic_name', t.topic_name, 'created_at', t.created_at, "
                     "'queue_names', '[]'::json)::text FROM " + S + "create_topic($1::text) t";
    j.list_topics = rows(S + "list_topics()");
    j.publish = rows(S + "publish($1::text, $2::jsonb, $3::int, $4::bigint)");
    j.set_retry_policy = rows(S + "set_retry_policy($1::text, $2::text, $3::float8, $4::float8, $5::float8)");
    j.get_queue = rows(S + "get_queue($1::text)");
    j.list_queues = rows(S + "list_queues()");
    j.dequeue = rows(S + "dequeue($1::text, $2::int, $3::int, $4::bigint)");
    j.dequeue_default_lock = rows(S + "dequeue($1::text, $2::int, worker_id => $3::bigint)");
    j.dequeue_wait = rows(S + "dequeue_wait($1::text, $2::int, $3::int, $4::bigint, $5::int)");
    j.dequeue_wait_default_lock =
        rows(S + "dequeue_wait($1::text, $2::int, worker_id => $3::bigint, wait_seconds => $4::int)");
    j.extend_visibility =
        "SELECT pg_catalog.to_json(" + S + "extend_visibility($1::bigint, $2::int, $3::bigint, $4::int))::text";
    j.register_worker = rows(S + "register_worker($1::text, $2::int, $3::text)");
    j.get_worker = rows(S + "get_worker($1::bigint)");
    j.list_workers = rows(S + "list_workers($1::text)");
    j.heartbeat = "SELECT pg_catalog.to_json(" + S + "heartbeat($1::bigint))::text";
    j.suspend_worker = rows(S + "suspend_worker($1::bigint)");
    j.resume_worker = rows(S + "resume_worker($1::bigint)");
    j.shutdown_worker = rows(S + "shutdown_worker($1::bigint)");
    j.worker_messages = rows(S + "worker_messages($1::bigint)");
    j.dlq = rows(S + "dlq($1::text)");
    j.create_schedule = rows(S + "create_schedule($1::text, $2::text, $3::text, $4::jsonb, $5::text, $6::boolean)");
    j.list_schedules = rows(S + "list_schedules()");
    j.pause_schedule = rows(S + "pause_schedule($1::text)");
    j.resume_schedule = rows(S + "resume_schedule($1::text)");
    j.cron_times = "SELECT pg_catalog.to_json(t)::text FROM " + S +
                   "cron_times($1::text, $2::text, $3::timestamptz, $4::int) t";
    j.queue_metrics = rows(S + "queue_metrics($1::text)");
    j.all_queues_metrics = rows(S + "all_queues_metrics()");
    j.system_stats = rows(S + "system_stats()");
    j.worker_stats = rows(S + "worker_stats($1::text)");
    j.worker_health = rows(S + "worker_health($1::text, $2::interval)");
    j.claim_frontier_stats = rows(S + "claim_frontier_stats()");
    j.queues_list = rows(S + "queues") + " WHERE " + is_queue + " ORDER BY r.id";
    j.queues_get = rows(S + "queues") + " WHERE r.id = $1::bigint";
    j.workers_list = rows(S + "workers") + " WHERE " + in_queue + " ORDER BY r.id";
    j.workers_get = rows(S + "workers") + " WHERE r.id = $1::bigint";
    j.messages_list = rows(S + "messages") + " WHERE " + in_queue + " ORDER BY r.id LIMIT $2::bigint";
    j.messages_get = rows(S + "messages") + " WHERE r.id = $1::bigint";
    j.archive_list = rows(S + "archive") + " WHERE " + in_queue + " ORDER BY r.id LIMIT $2::bigint";
    j.archive_get = rows(S + "archive") + " WHERE r.id = $1::bigint";
}

}  // namespace pgqrs
