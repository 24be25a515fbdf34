// The exception hierarchy of the pgqrs client: every error carries the SQLSTATE
// and the server's message unchanged.
#pragma once

#include <stdexcept>
#include <string>

namespace pgqrs {

struct ServerError;

// Base of all pgqrs errors; what() is the server's message (or the client's).
class Error : public std::runtime_error {
public:
    Error(std::string sqlstate, const std::string& message)
        : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
    // The five-character SQLSTATE ("" for errors raised by the client itself).
    const std::string& sqlstate() const noexcept { return sqlstate_; }

private:
    std::string sqlstate_;
};

// The server could not be reached or the connection was lost (class 08).
class ConnectionError : public Error { using Error::Error; };
// The extension files are not installed on the server (0A000 / 58P01 at install).
class ExtensionNotAvailableError : public Error { using Error::Error; };
// The pgqrs schema or its functions are missing: run install() (3F000, 42883, 42P01).
class NotInstalledError : public Error { using Error::Error; };
// Something looked up does not exist (P0002, 42704).
class NotFoundError : public Error { using Error::Error; };
// The named queue does not exist.
class QueueNotFoundError : public NotFoundError { using NotFoundError::NotFoundError; };
// The worker id does not exist.
class WorkerNotFoundError : public NotFoundError { using NotFoundError::NotFoundError; };
// A queue of that name already exists (42710).
class QueueExistsError : public Error { using Error::Error; };
// The named schedule does not exist (P0002).
class ScheduleNotFoundError : public NotFoundError { using NotFoundError::NotFoundError; };
// A schedule of that name already exists (42710).
class ScheduleExistsError : public Error { using Error::Error; };
// Bad input: invalid name, payload, number or NULL (class 22, 42602, 23514, 23502).
class InvalidInputError : public Error { using Error::Error; };
// The object is in the wrong state for the call (class 55), e.g. live leases.
class StateError : public Error { using Error::Error; };
// A worker is stopped, suspended or otherwise cannot do what was asked.
class WorkerError : public StateError { using StateError::StateError; };

// The statement was cancelled (57014): by cancel(), statement_timeout or
// pg_cancel_backend. The connection stays usable.
class CanceledError : public Error { using Error::Error; };

// Throws the subclass of Error that matches the server error's SQLSTATE.
[[noreturn]] void raise(const ServerError& error);

}  // namespace pgqrs
