// Maps a server error's SQLSTATE to the pgqrs exception hierarchy.
#include "pgqrs/errors.hpp"

#include "pgqrs/async_connection.hpp"

namespace pgqrs {

namespace {

// True when the message is about a worker ("worker 7 does not exist", ...).
bool about_worker(const std::string& message) {
    return message.rfind("worker", 0) == 0;
}

// True when the message is about a schedule ("schedule \"x\" does not exist", ...).
bool about_schedule(const std::string& message) {
    return message.rfind("schedule", 0) == 0;
}

}  // namespace

void raise(const ServerError& e) {
    const std::string& s = e.sqlstate;
    const std::string& m = e.message;
    const std::string cls = s.substr(0, 2);
    if (cls == "08" || s == "57P01" || s == "57P02" || s == "57P03") throw ConnectionError(s, m);
    if (s == "57014") throw CanceledError(s, m);
    if (s == "42710") {
        if (about_schedule(m)) throw ScheduleExistsError(s, m);
        throw QueueExistsError(s, m);
    }
    if (s == "P0002" || s == "42704") {
        if (about_worker(m)) throw WorkerNotFoundError(s, m);
        if (about_schedule(m)) throw ScheduleNotFoundError(s, m);
        throw QueueNotFoundError(s, m);
    }
    if (s == "3F000" || s == "42883" || s == "42P01") throw NotInstalledError(s, m);
    if (cls == "22" || s == "23514" || s == "23502" || s == "42602" || s == "42P02") throw InvalidInputError(s, m);
    if (cls == "55") {
        if (about_worker(m)) throw WorkerError(s, m);
        throw StateError(s, m);
    }
    throw Error(s, m);
}

}  // namespace pgqrs
