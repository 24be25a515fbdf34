// pgqrs C++ client: include this one header for the whole library.
#pragma once

#include "pgqrs/admin.hpp"
#include "pgqrs/async_connection.hpp"
#include "pgqrs/client.hpp"
#include "pgqrs/connection.hpp"
#include "pgqrs/consumer.hpp"
#include "pgqrs/errors.hpp"
#include "pgqrs/parse.hpp"
#include "pgqrs/producer.hpp"
#include "pgqrs/statements.hpp"
#include "pgqrs/tables.hpp"
#include "pgqrs/types.hpp"
#include "pgqrs/worker.hpp"
