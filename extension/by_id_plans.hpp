// The planner's side of finding messages by id: while a pgqrs call runs, a
// query of it that restricts messages by `id = ...` or `id = ANY (...)` may
// reach messages only through an index that starts with id (the primary key).
//
// While the xmin horizon is pinned, ANALYZE (autovacuum's) counts only the
// live rows of messages while its indexes keep every version since the pin
// began. With few live rows the planner takes a primary-key probe for dozens
// of pages; with none (or one) it takes every index for one page and breaks the
// tie by the trees' heights, so it can pick the claim index (queue_id, vt, id)
// and walk all of it for the ids in its third column. That happened to the
// claim's lease UPDATE and to archive_batch at capacity, each call walking
// the whole index (tests/reliability/test_pinned_plans.py). No statistics and
// no wording of a statement can bring that back while this hook runs: every
// statement of ours gets it, none has to ask.
#pragma once

namespace pgqrs {

// From _PG_init: installs the hook (get_relation_info_hook, chained).
void by_id_plans_init();

}  // namespace pgqrs
