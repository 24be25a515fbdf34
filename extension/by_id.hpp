// Conditions of statements that find messages (`m`) by id, in forms no index
// can serve, so that the ids stay the only way into the table.
//
// While the xmin horizon is pinned, ANALYZE (autovacuum's) counts only the live
// rows of messages while its indexes keep every version since the pin began.
// The planner then takes a primary-key lookup for dozens of pages and prefers
// any other indexed column it is given: the worker's lease index or the queue's
// claim index, which hold every lease the worker took or every message the
// queue had since the pin, so one archive walked them all
// (tests/reliability/test_pinned_plans.py). A statement that finds messages by
// id says so with `m.id = ANY (ids)` or `m.id = $n`, wraps its other conditions
// on indexed columns in UNINDEXED, checks attempts with ATTEMPT_MATCHES and
// joins queues by QUEUE_OF_M; scripts/check-extension-rules.sh rejects the
// optional filters below written any other way. That the primary key is the
// index the planner takes is by_id_plans.hpp's guarantee: no wording can give it.
#pragma once

// cond, kept by the planner as a filter: `IS TRUE` is no index condition.
#define UNINDEXED(cond) "(" cond ") IS TRUE "

// Held by worker `worker` (a parameter; NULL: by anyone).
#define HELD_BY(worker) "(" worker "::bigint IS NULL OR " UNINDEXED("m.consumer_worker_id = " worker) ") "

// m's attempt is the one given with its id: `attempts` pairs with `ids` by
// position (NULL, or a NULL element: any attempt). Checked by hashing the pairs
// once, not by joining them, so that the ids stay the only index condition.
#define ATTEMPT_MATCHES(ids, attempts)                                                          \
    "(" attempts "::int[] IS NULL OR (m.id, m.read_ct) IN (SELECT * FROM unnest(" ids         \
    "::bigint[], " attempts "::int[])) OR m.id IN (SELECT u.id FROM unnest(" ids "::bigint[], " \
    attempts "::int[]) AS u(id, attempt) WHERE u.attempt IS NULL)) "

// m's queue, to join queues by: an expression, which no index of messages serves.
#define QUEUE_OF_M "(m.queue_id + 0)"

// In one of the queues `queues` (a bigint[] parameter; NULL: any queue).
#define IN_QUEUES(queues) \
    "(" queues "::bigint[] IS NULL OR " UNINDEXED("m.queue_id = ANY (" queues ")") ") "
