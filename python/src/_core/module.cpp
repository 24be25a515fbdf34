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
    } catch (const pgqrs::NotFoundError&) { return "NotFoundError";
    } catch (const pgqrs::QueueExistsError&) { return "QueueExistsError";
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
        .def("drain",
             [](pgqrs::AsyncConnection& self) {
                 py::list out;
                 while (auto c = self.next_completed()) out.append(completed_to_tuple(*c));
                 return out;
             },
             "all completed requests that are ready, in send order")
        .def("pending", &pgqrs::AsyncConnection::pending)
        .def("close", &pgqrs::AsyncConnection::close);
}
