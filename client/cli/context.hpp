// Global options of the pgqrs CLI and the commands that use them.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "output.hpp"
#include "pgqrs/admin.hpp"

namespace pgqrs::cli {

// What every command needs: the connection options and the output format.
struct Context {
    std::string dsn;
    std::string schema = "pgqrs";
    std::string format = "table";

    // The Admin for --dsn / --schema, created on first use.
    Admin& admin() {
        if (!admin_) {
            if (dsn.empty()) throw std::runtime_error("no database given: use --dsn or set PGQRS_DSN");
            Options o;
            o.schema = schema;
            admin_ = std::make_unique<Admin>(dsn, o);
        }
        return *admin_;
    }
    Output out() const;

private:
    std::unique_ptr<Admin> admin_;
};

// Registers install / uninstall / verify / stats and the queue, archive and dlq commands.
void add_admin_commands(CLI::App& app, Context& ctx);
// Registers the message commands.
void add_message_commands(CLI::App& app, Context& ctx);
// Registers the worker commands.
void add_worker_commands(CLI::App& app, Context& ctx);
// Registers the topic commands.
void add_topic_commands(CLI::App& app, Context& ctx);
// Registers the schedule commands.
void add_schedule_commands(CLI::App& app, Context& ctx);

}  // namespace pgqrs::cli
