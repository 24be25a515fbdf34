// Non-blocking pipeline-mode libpq connection: the protocol steps only.
#include "pgqrs/async_connection.hpp"

#include <libpq-fe.h>

#include <stdexcept>
#include <utility>

#include "pgqrs/errors.hpp"

namespace pgqrs {

namespace {

// Swallows server notices (they would otherwise go to stderr).
void ignore_notice(void*, const char*) {}

// Text of a result field, or "" when libpq has none.
std::string field(const PGresult* res, int code) {
    const char* s = PQresultErrorField(res, code);
    return s ? s : "";
}

// The rows of a TUPLES_OK / COMMAND_OK result as text.
Result to_result(const PGresult* res) {
    Result out;
    const int ncols = PQnfields(res);
    const int nrows = PQntuples(res);
    out.columns.reserve(ncols);
    for (int c = 0; c < ncols; ++c) out.columns.emplace_back(PQfname(res, c));
    out.rows.resize(nrows);
    for (int r = 0; r < nrows; ++r) {
        auto& row = out.rows[r];
        row.reserve(ncols);
        for (int c = 0; c < ncols; ++c) {
            if (PQgetisnull(res, r, c)) row.emplace_back(std::nullopt);
            else row.emplace_back(std::string(PQgetvalue(res, r, c), PQgetlength(res, r, c)));
        }
    }
    const char* status = PQcmdStatus(const_cast<PGresult*>(res));
    out.command_status = status ? status : "";
    return out;
}

// The error of a failed result; a missing SQLSTATE means the connection broke.
ServerError to_error(const PGresult* res, PGconn* conn) {
    ServerError e;
    e.sqlstate = field(res, PG_DIAG_SQLSTATE);
    e.message = field(res, PG_DIAG_MESSAGE_PRIMARY);
    e.detail = field(res, PG_DIAG_MESSAGE_DETAIL);
    e.hint = field(res, PG_DIAG_MESSAGE_HINT);
    if (e.message.empty()) {
        const char* m = PQresultErrorMessage(res);
        e.message = (m && *m) ? m : PQerrorMessage(conn);
        while (!e.message.empty() && (e.message.back() == '\n' || e.message.back() == ' '))
            e.message.pop_back();
    }
    if (e.sqlstate.empty()) e.sqlstate = kConnectionLostState;
    return e;
}

}  // namespace

std::size_t Result::column(const std::string& name) const {
    for (std::size_t i = 0; i < columns.size(); ++i)
        if (columns[i] == name) return i;
    throw std::out_of_range("no column \"" + name + "\" in result");
}

const Value& Result::at(std::size_t row, const std::string& name) const {
    return rows.at(row).at(column(name));
}

// The cancel handle of one open connection. Replaced as a whole (atomically) on
// reconnect and close, so a cancel() in progress on another thread keeps its
// handle alive and never delays close().
struct AsyncConnection::CancelState {
    explicit CancelState(PGcancel* h) : handle(h) {}
    ~CancelState() { PQfreeCancel(handle); }
    CancelState(const CancelState&) = delete;
    CancelState& operator=(const CancelState&) = delete;
    PGcancel* const handle;
};

AsyncConnection::AsyncConnection(std::string conninfo) : conninfo_(std::move(conninfo)) {}

AsyncConnection::~AsyncConnection() {
    if (conn_) PQfinish(conn_);
}

void AsyncConnection::set_cancel(PGcancel* handle) {
    std::atomic_store(&cancel_, handle ? std::make_shared<const CancelState>(handle)
                                       : std::shared_ptr<const CancelState>());
}

bool AsyncConnection::cancel(std::string* error) {
    std::shared_ptr<const CancelState> state = std::atomic_load(&cancel_);
    if (!state) {
        if (error) *error = "not connected";
        return false;
    }
    char buf[256] = {0};
    if (PQcancel(state->handle, buf, sizeof buf) != 1) {
        if (error) *error = buf[0] ? buf : "cancel request failed";
        return false;
    }
    return true;
}

AsyncConnection::AsyncConnection(AsyncConnection&& o) noexcept
    : conninfo_(std::move(o.conninfo_)), conn_(std::exchange(o.conn_, nullptr)),
      connected_(std::exchange(o.connected_, false)), broken_(o.broken_), next_id_(o.next_id_),
      pending_(std::move(o.pending_)), sent_(std::move(o.sent_)),
      prepared_(std::move(o.prepared_)), next_statement_(o.next_statement_), failed_(std::move(o.failed_)), current_(std::move(o.current_)),
      cancel_(std::move(o.cancel_)) {}

AsyncConnection& AsyncConnection::operator=(AsyncConnection&& o) noexcept {
    if (this != &o) {
        if (conn_) PQfinish(conn_);
        conninfo_ = std::move(o.conninfo_);
        conn_ = std::exchange(o.conn_, nullptr);
        connected_ = std::exchange(o.connected_, false);
        broken_ = o.broken_;
        next_id_ = o.next_id_;
        pending_ = std::move(o.pending_);
        sent_ = std::move(o.sent_);
        prepared_ = std::move(o.prepared_);
        next_statement_ = o.next_statement_;
        failed_ = std::move(o.failed_);
        current_ = std::move(o.current_);
        cancel_ = std::move(o.cancel_);
    }
    return *this;
}

void AsyncConnection::start_connect() {
    close();
    failed_.clear();
    prepared_.clear();  // a new server session knows none of our statements
    broken_ = false;
    conn_ = PQconnectStart(conninfo_.c_str());
    if (!conn_) throw ConnectionError("08000", "out of memory starting a connection");
    if (PQstatus(conn_) == CONNECTION_BAD) {
        std::string msg = error_message();
        PQfinish(conn_);
        conn_ = nullptr;
        broken_ = true;
        throw ConnectionError("08001", msg.empty() ? "invalid connection string" : msg);
    }
    PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
}

PollStatus AsyncConnection::poll_connect() {
    if (!conn_) return PollStatus::Failed;
    if (connected_) return PollStatus::Ok;
    switch (PQconnectPoll(conn_)) {
    case PGRES_POLLING_READING: return PollStatus::Reading;
    case PGRES_POLLING_WRITING: return PollStatus::Writing;
    case PGRES_POLLING_OK:
        if (PQsetnonblocking(conn_, 1) != 0 || PQenterPipelineMode(conn_) != 1) {
            broken_ = true;
            return PollStatus::Failed;
        }
        connected_ = true;
        set_cancel(PQgetCancel(conn_));
        return PollStatus::Ok;
    default:
        broken_ = true;
        return PollStatus::Failed;
    }
}

int AsyncConnection::socket() const { return conn_ ? PQsocket(conn_) : -1; }

bool AsyncConnection::is_ready() const {
    return conn_ && connected_ && !broken_ && PQstatus(conn_) == CONNECTION_OK;
}

std::string AsyncConnection::error_message() const {
    if (!conn_) return "connection closed";
    std::string m = PQerrorMessage(conn_);
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    return m;
}

std::uint64_t AsyncConnection::send(const std::string& sql, const Params& params) {
    if (!is_ready()) {
        throw ConnectionError(broken_ ? kConnectionLostState : "08003",
                              broken_ ? "connection lost: " + error_message() : "not connected");
    }
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    const auto known = prepared_.find(sql);
    const bool first_use = known == prepared_.end();
    const std::string name = first_use ? "pgqrs_" + std::to_string(next_statement_++) : known->second;
    // a failed prepare aborts the execute after it: the request reports the prepare's error
    if ((first_use && PQsendPrepare(conn_, name.c_str(), sql.c_str(),
                                    static_cast<int>(params.size()), nullptr) != 1) ||
        PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(params.size()), values.data(),
                            nullptr, nullptr, 0) != 1 ||
        PQpipelineSync(conn_) != 1) {
        std::string msg = error_message();
        mark_broken();
        throw ConnectionError(kConnectionLostState, "connection lost: " + msg);
    }
    if (first_use) prepared_.emplace(sql, name);
    const std::uint64_t id = next_id_++;
    pending_.push_back(id);
    sent_.push_back({sql, name, first_use});
    return id;
}

bool AsyncConnection::flush() {
    if (!conn_ || broken_) return true;  // nothing can be sent; completions carry the error
    const int rc = PQflush(conn_);
    if (rc < 0) {
        mark_broken();
        return true;
    }
    return rc == 0;
}

void AsyncConnection::consume_input() {
    if (!conn_ || broken_) return;
    if (PQconsumeInput(conn_) != 1 || PQstatus(conn_) == CONNECTION_BAD) mark_broken();
}

std::optional<Completed> AsyncConnection::next_completed() {
    if (!failed_.empty()) {
        Completed c = std::move(failed_.front());
        failed_.pop_front();
        return c;
    }
    if (!conn_ || pending_.empty()) return std::nullopt;
    bool last_was_null = false;
    while (!pending_.empty() && !PQisBusy(conn_)) {
        PGresult* res = PQgetResult(conn_);
        if (!res) {
            if (last_was_null) break;  // nothing more has arrived
            last_was_null = true;
            continue;  // end of one statement's results; its sync follows
        }
        last_was_null = false;
        const ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            Completed c;
            c.id = pending_.front();
            pending_.pop_front();
            const Sent sent = std::move(sent_.front());
            sent_.pop_front();
            if (current_) c.outcome = std::move(*current_);
            else c.outcome = Result{};
            current_.reset();
            if (!c.ok()) forget_statements(sent, c.error().sqlstate);
            return c;
        }
        // a request's first result is its prepare's: once that worked the statement
        // exists on the server until the session ends, whatever the execute does
        if (st == PGRES_COMMAND_OK && !sent_.empty()) sent_.front().prepares = false;
        if (!current_ || current_->index() == 0) {  // keep the first error of a request
            if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK || st == PGRES_EMPTY_QUERY) {
                current_ = to_result(res);
            } else if (st == PGRES_PIPELINE_ABORTED) {
                current_ = ServerError{"25P02", "request aborted by an earlier error in the pipeline", "", ""};
            } else {
                current_ = to_error(res, conn_);
            }
        }
        PQclear(res);
    }
    if (PQstatus(conn_) == CONNECTION_BAD) {
        mark_broken();
        return next_completed();
    }
    return std::nullopt;
}

void AsyncConnection::forget_statements(const Sent& sent, const std::string& sqlstate) {
    const auto known = prepared_.find(sent.sql);
    if (known == prepared_.end() || known->second != sent.statement) return;  // already re-prepared
    // its prepare failed: the next request prepares it again
    if (sent.prepares) prepared_.erase(known);
    // the session lost a statement it had (DISCARD ALL behind a pooler): it has none
    // left; a request that ran the name of a failed prepare before it is not this
    else if (sqlstate == "26000") prepared_.clear();
}

void AsyncConnection::close() {
    set_cancel(nullptr);
    if (conn_) {
        PQfinish(conn_);
        conn_ = nullptr;
    }
    if (!pending_.empty()) fail_all_pending("connection closed");
    connected_ = false;
}

void AsyncConnection::mark_broken() {
    if (broken_) return;
    broken_ = true;
    fail_all_pending("connection lost: " + error_message());
}

void AsyncConnection::fail_all_pending(const std::string& message) {
    for (auto id : pending_) {
        Completed c;
        c.id = id;
        c.outcome = ServerError{kConnectionLostState, message, "", ""};
        failed_.push_back(std::move(c));
    }
    pending_.clear();
    sent_.clear();
    current_.reset();
}

}  // namespace pgqrs
