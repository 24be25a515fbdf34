// Non-blocking libpq connection in pipeline mode, driven by an external event loop.
//
// The shape follows psycopg 3: the owner of the loop waits on socket() and calls
// the protocol steps; this class never blocks and never waits by itself.
//
//   conn.start_connect();
//   while ((s = conn.poll_connect()) != PollStatus::Ok) wait_for(s == Reading ? read : write);
//   auto id = conn.send("SELECT $1::int + 1", {"41"});
//   while (conn.pending()) {
//       bool sent = conn.flush();                       // false: wait for writable too
//       wait_for(readable, /*writable=*/!sent);         // always read while writing, or
//       conn.consume_input();                           // a long pipeline can deadlock
//       while (auto c = conn.next_completed()) handle(*c);
//   }
//
// Every request is followed by its own pipeline sync, so an error in one request
// never aborts the requests sent after it. Requests complete in the order sent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

typedef struct pg_conn PGconn;
typedef struct pg_cancel PGcancel;

namespace pgqrs {

// A nullable text parameter or value (std::nullopt is SQL NULL).
using Value = std::optional<std::string>;

// The parameters of one request, in $1..$n order, in text format.
using Params = std::vector<Value>;

// Where a connection attempt stands after one poll step.
enum class PollStatus { Reading, Writing, Ok, Failed };

// SQLSTATE used for requests that failed because the connection was lost.
inline constexpr const char* kConnectionLostState = "08006";

// The rows of a successful request, every value as nullable text.
struct Result {
    std::vector<std::string> columns;        // column names, in order
    std::vector<std::vector<Value>> rows;    // rows[r][c]
    std::string command_status;              // e.g. "SELECT 3"

    // Number of rows.
    std::size_t size() const { return rows.size(); }
    // True when there are no rows.
    bool empty() const { return rows.empty(); }
    // Index of a column by name; throws std::out_of_range when absent.
    std::size_t column(const std::string& name) const;
    // Value of a row by column name.
    const Value& at(std::size_t row, const std::string& name) const;
};

// A failed request: the server's SQLSTATE and message (08006 for a lost connection).
struct ServerError {
    std::string sqlstate;   // five characters, e.g. "42710"
    std::string message;    // primary message from the server
    std::string detail;     // DETAIL field, may be empty
    std::string hint;       // HINT field, may be empty
};

// One finished request: its id and either its rows or its error.
struct Completed {
    std::uint64_t id = 0;
    std::variant<Result, ServerError> outcome;

    // True when the request succeeded.
    bool ok() const { return outcome.index() == 0; }
    // The rows; only when ok().
    const Result& result() const { return std::get<Result>(outcome); }
    Result& result() { return std::get<Result>(outcome); }
    // The error; only when !ok().
    const ServerError& error() const { return std::get<ServerError>(outcome); }
};

// A libpq connection in non-blocking pipeline mode. Not thread-safe; one owner.
class AsyncConnection {
public:
    // Keeps the libpq connection string (URI or key=value); does not connect.
    explicit AsyncConnection(std::string conninfo);
    ~AsyncConnection();
    AsyncConnection(const AsyncConnection&) = delete;
    AsyncConnection& operator=(const AsyncConnection&) = delete;
    AsyncConnection(AsyncConnection&& other) noexcept;
    AsyncConnection& operator=(AsyncConnection&& other) noexcept;

    // Begins connecting (PQconnectStart); drops any previous connection and its
    // pending requests. Throws ConnectionError when libpq cannot even start.
    void start_connect();
    // Advances the connection attempt; on Ok the connection is in pipeline mode.
    PollStatus poll_connect();
    // The socket to wait on (-1 when there is none).
    int socket() const;

    // True when connected and not known to be broken.
    bool is_ready() const;
    // True when the connection was lost or a connection attempt failed.
    bool is_broken() const { return broken_; }
    // libpq's last error message (for a failed connect or a lost connection).
    std::string error_message() const;

    // Queues one statement with text parameters and a pipeline sync; returns its
    // request id. Throws ConnectionError when not connected or broken.
    std::uint64_t send(const std::string& sql, const Params& params = {});
    // Sends queued bytes; true when all went out, false when the caller must wait
    // for the socket to become writable and call flush() again.
    bool flush();
    // Reads what arrived on the socket (call when readable); never throws. A lost
    // connection marks the connection broken and fails all pending requests.
    void consume_input();
    // The next finished request, in send order, or nullopt if none is ready yet.
    std::optional<Completed> next_completed();

    // Number of requests sent whose completion has not been returned yet.
    std::size_t pending() const { return pending_.size() + failed_.size(); }
    // Closes the connection; pending requests are failed with 08006.
    void close();
    // Asks the server to cancel the statement it is running for this connection
    // (a libpq cancel request: PQcancel over a new, short connection). Blocks
    // for that round trip, then returns; the statement then fails with 57014
    // (or completes, if it ended before the request arrived). Unlike every other
    // member this one may be called from any thread, while the owner waits.
    // Returns false, with the reason in *error when given, when there is no
    // connection or the request could not be sent. A cancel request that
    // arrives while the server is idle is ignored; one that arrives after the
    // statement ended may hit the next statement sent: send nothing new on the
    // connection until cancel() returned and the statement completed.
    bool cancel(std::string* error = nullptr);
    // The underlying libpq handle (nullptr when closed), for advanced use.
    PGconn* native() const { return conn_; }

private:
    struct CancelState;
    // What one pending request asked of the server.
    struct Sent {
        std::string sql;        // its SQL text
        std::string statement;  // the name of the prepared statement it runs
        bool prepares = false;  // it prepares that statement first, not known to have worked yet
    };
    // Replaces the cancel handle (atomically): after connecting, or nullptr on close.
    void set_cancel(PGcancel* handle);
    void fail_all_pending(const std::string& message);
    // After a failed request: forgets the statements the server does not have.
    void forget_statements(const Sent& sent, const std::string& sqlstate);
    void mark_broken();

    std::string conninfo_;
    PGconn* conn_ = nullptr;
    bool connected_ = false;
    bool broken_ = false;
    std::uint64_t next_id_ = 1;
    std::deque<std::uint64_t> pending_;        // sent, waiting for the server
    std::deque<Sent> sent_;                    // per pending request
    // Each SQL text is parsed and planned once per connection: its first request
    // prepares it (in the same pipeline step), later ones only bind and execute.
    std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
    std::uint64_t next_statement_ = 1;         // names are never reused on a connection
    std::deque<Completed> failed_;             // failed locally, ready to return
    std::optional<std::variant<Result, ServerError>> current_;  // front request's outcome so far
    std::shared_ptr<const CancelState> cancel_;  // of the open connection; atomic access only
};

}  // namespace pgqrs
