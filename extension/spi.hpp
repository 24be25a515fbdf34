// Running our SQL from C++, the only way the extension runs a statement or
// reads a result (scripts/check-extension-rules.sh enforces it).
//
// Each statement is prepared once per backend and kept (SPI_keepplan). Its
// text names our tables as "@.table": the "@." becomes the quoted schema of the
// extension when it is prepared, and it runs with search_path = pg_catalog
// alone, so no function, operator or table that another role creates can
// take the place of the ones the statement means.
#pragma once

#include "pg.hpp"

namespace pgqrs {

constexpr int max_statement_args = 12;

// What a statement does to messages, for the claim frontier (frontier.hpp):
// exec notes, per returned row, the vt at which the row is claimable if the
// transaction commits and the vt it is back at if it aborts. A statement whose
// text writes or locks messages must declare one (exec refuses it otherwise),
// so that no writer can forget the frontier.
enum class OnAbort {
    nothing,       // nothing comes back (inserted rows vanish)
    restored_vt,   // rows come back at the vt in column `restored`
    visible_vt,    // rows come back at or above their new vt (the statement only lowers vt)
    queue_start,   // rows come back anywhere: the queue's frontier restarts
};

// What a statement that adds or removes messages does to ordered groups
// (groups.hpp): exec settles the groups of the rows it returns. A statement
// that inserts or deletes messages must say (prepare refuses it otherwise),
// so that no message joins or leaves a group behind its back.
enum class GroupChange {
    none,       // adds or removes no message (or every message of a queue, with its groups)
    ungrouped,  // adds messages without a group (its text names no group_key)
    joins,      // inserted the rows returned, into the groups locked before (lock_groups)
    leaves,     // deleted the rows returned (with their id)
};

struct MessageEffect {
    bool declared;
    const char *queue;     // column of each row's queue id; nullptr: argument queue_arg
    int queue_arg;         // 1-based
    const char *visible;   // column: the vt a row is claimable at once this commits; nullptr: none
    OnAbort on_abort;
    const char *restored;  // column for OnAbort::restored_vt
    bool deletes_queue;    // the queue itself is deleted at commit
    GroupChange groups;
    const char *group;     // column of each row's group key
};

// The statement reads messages, or writes only other tables.
constexpr MessageEffect reads_messages = {true,  nullptr, 0, nullptr, OnAbort::nothing, nullptr, false,
                                          GroupChange::none, nullptr};

// Inserts rows claimable at column `vt`, none of them in a group (schedules, publish).
constexpr MessageEffect inserts_messages(const char *queue, const char *vt)
{
    return {true, queue, 0, vt, OnAbort::nothing, nullptr, false, GroupChange::ungrouped, nullptr};
}

// Moves rows from `old_vt` to `new_vt` (a claim, nullptr: rows deleted).
constexpr MessageEffect moves_messages(const char *queue, const char *new_vt, const char *old_vt)
{
    return {true, queue, 0, new_vt, OnAbort::restored_vt, old_vt, false, GroupChange::none, nullptr};
}

// Moves rows to `new_vt`, never above where they were (release, reclaim).
constexpr MessageEffect lowers_messages(const char *queue, const char *new_vt)
{
    return {true, queue, 0, new_vt, OnAbort::visible_vt, nullptr, false, GroupChange::none, nullptr};
}

// Moves rows to `new_vt` from a vt the statement does not return (extend).
constexpr MessageEffect reschedules_messages(const char *queue, const char *new_vt)
{
    return {true, queue, 0, new_vt, OnAbort::queue_start, nullptr, false, GroupChange::none, nullptr};
}

// Deletes rows of the queue in argument queue_arg without returning them
// (purge); the statement deletes the queue's groups too.
constexpr MessageEffect deletes_queue_messages(int queue_arg, bool with_queue = false)
{
    return {true, nullptr, queue_arg, nullptr, OnAbort::queue_start, nullptr, with_queue,
            GroupChange::none, nullptr};
}

// Inserts rows claimable at column `vt`, each in the group of column `group`.
constexpr MessageEffect inserts_grouped(const char *queue, const char *vt, const char *group)
{
    return {true, queue, 0, vt, OnAbort::nothing, nullptr, false, GroupChange::joins, group};
}

// Deletes rows that were at column `old_vt`, each leaving the group of column `group`.
constexpr MessageEffect deletes_grouped(const char *queue, const char *old_vt, const char *group)
{
    return {true, queue, 0, nullptr, OnAbort::restored_vt, old_vt, false, GroupChange::leaves, group};
}

// A SQL statement of ours; plan starts null and is prepared on first use, and
// again when the extension's schema is not the one it was prepared for, by oid
// or by name (a kept plan is re-planned from its text, so a schema renamed and
// replaced by another of the old name must not be used).
struct Statement {
    const char *sql;
    int nargs;
    Oid argtypes[max_statement_args];
    MessageEffect effect;
    SPIPlanPtr plan;
    Oid schema;
    char schema_name[NAMEDATALEN];
};

// The rows one execution of one statement produced: the only rows a caller
// may read, through value() and the result builders of results.hpp.
struct Rows {
    SPITupleTable *table;
    uint64 count;
    const char *statement;
};

// One call of a pgqrs function, between begin_call and end_call: the user
// to switch back to when it ends.
struct CallScope {
    Oid saved_user;
    int saved_context;
};

// Opens the SPI scope of one call of a pgqrs function (found through fcinfo)
// and, as SECURITY DEFINER would, runs the rest of it as the function's owner,
// remembering the role that called it (caller()). The functions are declared
// SECURITY INVOKER so that this caller is the role PostgreSQL checked EXECUTE
// against: a SECURITY DEFINER function of someone else, or an index
// expression run by maintenance, calls as its owner, not as the session.
CallScope begin_call(FunctionCallInfo fcinfo);

// Closes it and switches back to the caller; results must have been copied
// out with the builders before. An error ends the transaction or
// subtransaction, which switches back by itself.
void end_call(const CallScope &scope);

// A nested SPI scope inside a call: the results of the statements run
// between begin_pass and end_pass are freed at end_pass (a long wait runs
// many passes in one call).
void begin_pass();
void end_pass();

// The role that called the pgqrs function now running.
Oid caller();

// The schema of the pgqrs function now running; InvalidOid when none runs.
Oid running_call_schema();

// True when that caller is a superuser or has the privileges of the
// function's owner (asked once per call).
bool caller_has_owner_privileges();

// Executes st (count = row limit, 0 for all). nulls: ' ' for a value, 'n' for NULL.
Rows exec(Statement &st, const Datum *values, const char *nulls, long count = 0);

// Column `name` of row `row` of rows, which must have type `type`; a NULL is
// an error unless isnull is given. A missing row or column, or another type,
// is a clear error, never a read of memory the statement did not produce.
Datum value(const Rows &rows, uint64 row, const char *name, Oid type, bool *isnull = nullptr);

// Runs a utility command built by us (GRANT, REVOKE) inside the current call.
void run_utility(const char *sql);

// Raises the error for a result whose column has another type than the one
// the extension was built for (a table altered after install).
void raise_altered(const char *what, const char *column, Oid found, Oid expected);

}  // namespace pgqrs
