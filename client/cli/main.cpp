// pgqrs command-line tool: administration and inspection of pgqrs queues.
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>

#include "context.hpp"
#include "pgqrs/errors.hpp"

namespace pgqrs::cli {

Output Context::out() const { return Output(std::cout, format); }

}  // namespace pgqrs::cli

namespace {

// One line: newlines of multi-line messages become spaces.
std::string one_line(std::string s) {
    for (char& c : s)
        if (c == '\n' || c == '\r') c = ' ';
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    pgqrs::cli::Context ctx;
    CLI::App app{"pgqrs: manage pgqrs queues, messages and workers"};
    app.require_subcommand(1);
    app.fallthrough();  // global options may also follow the command (inherited by subcommands)
    app.add_option("--dsn", ctx.dsn, "PostgreSQL connection string")->envname("PGQRS_DSN");
    app.add_option("--schema", ctx.schema, "schema of the pgqrs extension")->capture_default_str();
    app.add_option("--format", ctx.format, "output format")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
    pgqrs::cli::add_admin_commands(app, ctx);
    pgqrs::cli::add_message_commands(app, ctx);
    pgqrs::cli::add_worker_commands(app, ctx);
    pgqrs::cli::add_topic_commands(app, ctx);
    pgqrs::cli::add_schedule_commands(app, ctx);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "error: " << one_line(e.what()) << '\n';
        return 2;
    } catch (const pgqrs::Error& e) {
        std::cerr << "error: " << one_line(e.what());
        if (!e.sqlstate().empty()) std::cerr << " (SQLSTATE " << e.sqlstate() << ")";
        std::cerr << '\n';
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "error: " << one_line(e.what()) << '\n';
        return 1;
    }
    return 0;
}
