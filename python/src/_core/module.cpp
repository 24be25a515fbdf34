// pgqrs._core: the C++ client's non-blocking connection for Python.
//
// Python's asyncio loop waits on socket() with add_reader / add_writer and calls
// the protocol steps below; nothing here blocks or starts a thread.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <utility>

#include "pgqrs/async_connection.hpp"
#include "pgqrs/errors.hpp"
#include "pgqrs/statements.hpp"

namespace py = pybind11;

namespace {

// The Python exception class for errors thrown by the C++ client (set in init).
PyObject* g_client_error = nullptr;

// Name of the pgqrs::Error subclass the C++ client maps a SQLSTATE to.
std::string classify(const std::string& sqlstate, const std::string& message) {
    try {
        pgqrs::raise(pgqrs::ServerError{sqlstate, message, "", ""});
    } catch (const pgqrs::ConnectionError&) { return "ConnectionError";
    } catch (const pgqrs::ExtensionNotAvailableError&) { return "ExtensionNotAvailableError";
    } catch (const pgqrs::NotInstalledError&) { return "NotInstalledError";
    } catch (const pgqrs::QueueNotFoundError&) { return "QueueNotFoundError";
    } catch (const pgqrs::WorkerNotFoundError&) { return "WorkerNotFoundError";
    } catch (const pgqrs::ScheduleNotFoundError&) { return "ScheduleNotFoundError";
    } catch (const pgqrs::NotFoundError&) { return "NotFoundError";
    } catch (const pgqrs::CanceledError&) { return "CanceledError";
    } catch (const pgqrs::QueueExistsError&) { return "QueueExistsError";
    } catch (const pgqrs::ScheduleExistsError&) { return "ScheduleExistsError";
    } catch (const pgqrs::InvalidInputError&) { return "InvalidInputError";
    } catch (const pgqrs::WorkerError&) { return "WorkerError";
    } catch (const pgqrs::StateError&) { return "StateError";
    } catch (const pgqrs::Error&) { return "Error";
    }
    return "Error";
}

// One row of text values as a tuple of str / None.
py::tuple row_to_tuple(const std::vector<pgqrs::Value>& row) {
    py::tuple t(row.size());
    for (std::size_t i = 0; i < row.size(); ++i) {
        if (row[i]) t[i] = py::str(*row[i]);
        else t[i] = py::none();
    }
    return t;
}

// A completed request as (id, None, columns, rows) or (id, error, None, None)
// where error is (sqlstate, message, detail, hint).
py::tuple completed_to_tuple(const pgqrs::Completed& c) {
    if (!c.ok()) {
        const auto& e = c.error();
        return py::make_tuple(c.id, py::make_tuple(e.sqlstate, e.message, e.detail, e.hint),
                              py::none(), py::none());
    }
    const auto& r = c.result();
    py::list rows(r.rows.size());
    for (std::size_t i = 0; i < r.rows.size(); ++i) rows[i] = row_to_tuple(r.rows[i]);
    py::tuple columns(r.columns.size());
    for (std::size_t i = 0; i < r.columns.size(); ++i) columns[i] = py::str(r.columns[i]);
    return py::make_tuple(c.id, py::none(), columns, rows);
}

// Every completed request that is ready, in send order.
py::list drain_completed(pgqrs::AsyncConnection& self) {
    py::list out;
    while (auto c = self.next_completed()) out.append(completed_to_tuple(*c));
    return out;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "pgqrs C++ client core: a libpq connection in non-blocking pipeline mode";

    // a new reference kept for the life of the process (the module is never unloaded)
    g_client_error = PyErr_NewException("pgqrs._core.ClientError", PyExc_RuntimeError, nullptr);
    if (!g_client_error) throw py::error_already_set();
    m.add_object("ClientError", py::reinterpret_borrow<py::object>(g_client_error));
    // C++ client errors become ClientError(sqlstate, message)
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const pgqrs::Error& e) {
            py::tuple args = py::make_tuple(e.sqlstate(), std::string(e.what()));
            PyErr_SetObject(g_client_error, args.ptr());
        }
    });

    py::enum_<pgqrs::PollStatus>(m, "PollStatus")
        .value("READING", pgqrs::PollStatus::Reading)
        .value("WRITING", pgqrs::PollStatus::Writing)
        .value("OK", pgqrs::PollStatus::Ok)
        .value("FAILED", pgqrs::PollStatus::Failed);

    m.attr("CONNECTION_LOST_STATE") = pgqrs::kConnectionLostState;
    m.def("classify", &classify, py::arg("sqlstate"), py::arg("message"),
          "name of the client error class for a server error");

    py::class_<pgqrs::AsyncConnection>(m, "AsyncConnection")
        .def(py::init<std::string>(), py::arg("conninfo"))
        .def("start_connect", &pgqrs::AsyncConnection::start_connect)
        .def("poll_connect", &pgqrs::AsyncConnection::poll_connect)
        .def("socket", &pgqrs::AsyncConnection::socket)
        .def("is_ready", &pgqrs::AsyncConnection::is_ready)
        .def("is_broken", &pgqrs::AsyncConnection::is_broken)
        .def("error_message", &pgqrs::AsyncConnection::error_message)
        .def("send", &pgqrs::AsyncConnection::send, py::arg("sql"), py::arg("params"))
        .def("flush", &pgqrs::AsyncConnection::flush)
        .def("consume_input", &pgqrs::AsyncConnection::consume_input)
        .def("next_completed",
             [](pgqrs::AsyncConnection& self) -> py::object {
                 auto c = self.next_completed();
                 if (!c) return py::none();
                 return completed_to_tuple(*c);
             })
        .def("drain", &drain_completed,
             "all completed requests that are ready, in send order")
        .def("read",
             [](pgqrs::AsyncConnection& self) {
                 self.consume_input();
                 return drain_completed(self);
             },
             "consume_input() then drain(): what the socket's readable callback does")
        .def("pending", &pgqrs::AsyncConnection::pending)
        .def("close", &pgqrs::AsyncConnection::close)
        .def("cancel",
             [](pgqrs::AsyncConnection& self) -> py::object {
                 std::string error;
                 bool sent;
                 {
                     // blocks for a round trip to the server: let other threads run
                     py::gil_scoped_release release;
                     sent = self.cancel(&error);
                 }
                 if (sent) return py::none();
                 return py::str(error);
             },
             "sends a cancel request for the running statement (blocking, thread-safe); "
             "None when sent, else the reason it was not");

    // The SQL texts of the C++ client, for one schema: the only place the SQL lives.
    py::class_<pgqrs::JsonStatements>(m, "JsonStatements",
                                      "the row-returning statements, each row as one JSON object")
        .def_readonly("create_queue", &pgqrs::JsonStatements::create_queue)
        .def_readonly("set_max_attempts", &pgqrs::JsonStatements::set_max_attempts)
        .def_readonly("set_retry_policy", &pgqrs::JsonStatements::set_retry_policy)
        .def_readonly("get_queue", &pgqrs::JsonStatements::get_queue)
        .def_readonly("list_queues", &pgqrs::JsonStatements::list_queues)
        .def_readonly("dequeue", &pgqrs::JsonStatements::dequeue)
        .def_readonly("dequeue_default_lock", &pgqrs::JsonStatements::dequeue_default_lock)
        .def_readonly("dequeue_wait", &pgqrs::JsonStatements::dequeue_wait)
        .def_readonly("dequeue_wait_default_lock", &pgqrs::JsonStatements::dequeue_wait_default_lock)
        .def_readonly("extend_visibility", &pgqrs::JsonStatements::extend_visibility)
        .def_readonly("register_worker", &pgqrs::JsonStatements::register_worker)
        .def_readonly("get_worker", &pgqrs::JsonStatements::get_worker)
        .def_readonly("list_workers", &pgqrs::JsonStatements::list_workers)
        .def_readonly("heartbeat", &pgqrs::JsonStatements::heartbeat)
        .def_readonly("suspend_worker", &pgqrs::JsonStatements::suspend_worker)
        .def_readonly("resume_worker", &pgqrs::JsonStatements::resume_worker)
        .def_readonly("shutdown_worker", &pgqrs::JsonStatements::shutdown_worker)
        .def_readonly("worker_messages", &pgqrs::JsonStatements::worker_messages)
        .def_readonly("dlq", &pgqrs::JsonStatements::dlq)
        .def_readonly("create_schedule", &pgqrs::JsonStatements::create_schedule)
        .def_readonly("list_schedules", &pgqrs::JsonStatements::list_schedules)
        .def_readonly("pause_schedule", &pgqrs::JsonStatements::pause_schedule)
        .def_readonly("resume_schedule", &pgqrs::JsonStatements::resume_schedule)
        .def_readonly("cron_times", &pgqrs::JsonStatements::cron_times)
        .def_readonly("queue_metrics", &pgqrs::JsonStatements::queue_metrics)
        .def_readonly("all_queues_metrics", &pgqrs::JsonStatements::all_queues_metrics)
        .def_readonly("system_stats", &pgqrs::JsonStatements::system_stats)
        .def_readonly("worker_stats", &pgqrs::JsonStatements::worker_stats)
        .def_readonly("worker_health", &pgqrs::JsonStatements::worker_health)
        .def_readonly("claim_frontier_stats", &pgqrs::JsonStatements::claim_frontier_stats)
        .def_readonly("queues_list", &pgqrs::JsonStatements::queues_list)
        .def_readonly("queues_get", &pgqrs::JsonStatements::queues_get)
        .def_readonly("workers_list", &pgqrs::JsonStatements::workers_list)
        .def_readonly("workers_get", &pgqrs::JsonStatements::workers_get)
        .def_readonly("messages_list", &pgqrs::JsonStatements::messages_list)
        .def_readonly("messages_get", &pgqrs::JsonStatements::messages_get)
        .def_readonly("archive_list", &pgqrs::JsonStatements::archive_list)
        .def_readonly("archive_get", &pgqrs::JsonStatements::archive_get)
        .def_readonly("set_dedup_window", &pgqrs::JsonStatements::set_dedup_window)
        .def_readonly("enqueue_dedup", &pgqrs::JsonStatements::enqueue_dedup)
        .def_readonly("enqueue_batch_dedup", &pgqrs::JsonStatements::enqueue_batch_dedup)
        .def_readonly("create_topic", &pgqrs::JsonStatements::create_topic)
        .def_readonly("list_topics", &pgqrs::JsonStatements::list_topics)
        .def_readonly("publish", &pgqrs::JsonStatements::publish)
        ;
    py::class_<pgqrs::Statements>(m, "Statements", "the statements of the pgqrs SQL API for one schema")
        .def(py::init<const std::string&>(), py::arg("schema") = std::string(pgqrs::kDefaultSchema))
        .def_readonly("schema", &pgqrs::Statements::schema)
        .def_readonly("qschema", &pgqrs::Statements::qschema)
        .def_readonly("create_schema", &pgqrs::Statements::create_schema)
        .def_readonly("create_extension", &pgqrs::Statements::create_extension)
        .def_readonly("drop_extension", &pgqrs::Statements::drop_extension)
        .def_readonly("drop_schema", &pgqrs::Statements::drop_schema)
        .def_readonly("extension_info", &pgqrs::Statements::extension_info)
        .def_readonly("verify", &pgqrs::Statements::verify)
        .def_readonly("version", &pgqrs::Statements::version)
        .def_readonly("grant_access", &pgqrs::Statements::grant_access)
        .def_readonly("create_queue", &pgqrs::Statements::create_queue)
        .def_readonly("set_max_attempts", &pgqrs::Statements::set_max_attempts)
        .def_readonly("set_dedup_window", &pgqrs::Statements::set_dedup_window)
        .def_readonly("set_retry_policy", &pgqrs::Statements::set_retry_policy)
        .def_readonly("get_queue", &pgqrs::Statements::get_queue)
        .def_readonly("list_queues", &pgqrs::Statements::list_queues)
        .def_readonly("delete_queue", &pgqrs::Statements::delete_queue)
        .def_readonly("purge_queue", &pgqrs::Statements::purge_queue)
        .def_readonly("delete_schedule", &pgqrs::Statements::delete_schedule)
        .def_readonly("run_due_schedules", &pgqrs::Statements::run_due_schedules)
        .def_readonly("purge_archive", &pgqrs::Statements::purge_archive)
        .def_readonly("enqueue", &pgqrs::Statements::enqueue)
        .def_readonly("enqueue_batch", &pgqrs::Statements::enqueue_batch)
        .def_readonly("enqueue_dedup", &pgqrs::Statements::enqueue_dedup)
        .def_readonly("enqueue_batch_dedup", &pgqrs::Statements::enqueue_batch_dedup)
        .def_readonly("create_topic", &pgqrs::Statements::create_topic)
        .def_readonly("delete_topic", &pgqrs::Statements::delete_topic)
        .def_readonly("list_topics", &pgqrs::Statements::list_topics)
        .def_readonly("subscribe", &pgqrs::Statements::subscribe)
        .def_readonly("unsubscribe", &pgqrs::Statements::unsubscribe)
        .def_readonly("publish", &pgqrs::Statements::publish)
        .def_readonly("dequeue", &pgqrs::Statements::dequeue)
        .def_readonly("dequeue_default_lock", &pgqrs::Statements::dequeue_default_lock)
        .def_readonly("dequeue_wait", &pgqrs::Statements::dequeue_wait)
        .def_readonly("dequeue_wait_default_lock", &pgqrs::Statements::dequeue_wait_default_lock)
        .def_readonly("archive", &pgqrs::Statements::archive)
        .def_readonly("archive_batch", &pgqrs::Statements::archive_batch)
        .def_readonly("delete_message", &pgqrs::Statements::delete_message)
        .def_readonly("delete_batch", &pgqrs::Statements::delete_batch)
        .def_readonly("extend_visibility", &pgqrs::Statements::extend_visibility)
        .def_readonly("release", &pgqrs::Statements::release)
        .def_readonly("release_worker_messages", &pgqrs::Statements::release_worker_messages)
        .def_readonly("register_worker", &pgqrs::Statements::register_worker)
        .def_readonly("get_worker", &pgqrs::Statements::get_worker)
        .def_readonly("list_workers", &pgqrs::Statements::list_workers)
        .def_readonly("heartbeat", &pgqrs::Statements::heartbeat)
        .def_readonly("suspend_worker", &pgqrs::Statements::suspend_worker)
        .def_readonly("resume_worker", &pgqrs::Statements::resume_worker)
        .def_readonly("shutdown_worker", &pgqrs::Statements::shutdown_worker)
        .def_readonly("worker_status", &pgqrs::Statements::worker_status)
        .def_readonly("worker_messages", &pgqrs::Statements::worker_messages)
        .def_readonly("delete_worker", &pgqrs::Statements::delete_worker)
        .def_readonly("purge_old_workers", &pgqrs::Statements::purge_old_workers)
        .def_readonly("reclaim_messages", &pgqrs::Statements::reclaim_messages)
        .def_readonly("dlq", &pgqrs::Statements::dlq)
        .def_readonly("replay_dlq", &pgqrs::Statements::replay_dlq)
        .def_readonly("queue_metrics", &pgqrs::Statements::queue_metrics)
        .def_readonly("all_queues_metrics", &pgqrs::Statements::all_queues_metrics)
        .def_readonly("system_stats", &pgqrs::Statements::system_stats)
        .def_readonly("worker_stats", &pgqrs::Statements::worker_stats)
        .def_readonly("worker_health", &pgqrs::Statements::worker_health)
        .def_readonly("claim_frontier_stats", &pgqrs::Statements::claim_frontier_stats)
        .def_readonly("reset_claim_frontier", &pgqrs::Statements::reset_claim_frontier)
        .def_readonly("queues_count", &pgqrs::Statements::queues_count)
        .def_readonly("queues_list", &pgqrs::Statements::queues_list)
        .def_readonly("queues_get", &pgqrs::Statements::queues_get)
        .def_readonly("workers_count", &pgqrs::Statements::workers_count)
        .def_readonly("workers_list", &pgqrs::Statements::workers_list)
        .def_readonly("workers_get", &pgqrs::Statements::workers_get)
        .def_readonly("messages_count", &pgqrs::Statements::messages_count)
        .def_readonly("messages_list", &pgqrs::Statements::messages_list)
        .def_readonly("messages_get", &pgqrs::Statements::messages_get)
        .def_readonly("archive_count", &pgqrs::Statements::archive_count)
        .def_readonly("archive_list", &pgqrs::Statements::archive_list)
        .def_readonly("archive_get", &pgqrs::Statements::archive_get)
        .def_readonly("json", &pgqrs::Statements::json);
    m.attr("DEFAULT_SCHEMA") = pgqrs::kDefaultSchema;
    m.def("quote_ident", &pgqrs::quote_ident, py::arg("name"), "an identifier, always double-quoted");
    m.def("array_literal", &pgqrs::array_literal, py::arg("values"), "an array literal of integers: {1,2,3}");
    m.def("seconds_interval", &pgqrs::seconds_interval, py::arg("seconds"),
          "an interval parameter text for a number of seconds");
}
