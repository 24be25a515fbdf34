// The state shared by the objects of one pgqrs connection: the connection and
// the statements of its schema.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "pgqrs/connection.hpp"
#include "pgqrs/statements.hpp"

namespace pgqrs {

// Options common to Admin, Producer and Consumer.
struct Options {
    std::string schema = kDefaultSchema;                  // schema of the extension
    std::chrono::seconds heartbeat_interval{10};          // producers/consumers heartbeat when older
    int default_lock_seconds = 0;                         // 0: the server's default lock time
};

// One connection plus the SQL texts for its schema; shared by the table accessors.
struct Client {
    Client(std::string dsn, const Options& options) : conn(std::move(dsn)), sql(options.schema), options(options) {}
    Connection conn;
    Statements sql;
    Options options;
};

using ClientPtr = std::shared_ptr<Client>;

}  // namespace pgqrs
