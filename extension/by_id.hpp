// Conditions shared by the statements that find messages (`m`) by id
// (`m.id = ANY (ids)` or `m.id = $n`). Whatever else such a statement says,
// the planner reaches messages through the primary key only: by_id_plans.hpp.
#pragma once

// Held by worker `worker` (a parameter; NULL: by anyone).
#define HELD_BY(worker) "(" worker "::bigint IS NULL OR m.consumer_worker_id = " worker ") "

// m's attempt is the one given with its id: `attempts` pairs with `ids` by
// position (NULL, or a NULL element: any attempt). Checked by hashing the pairs
// once, not by joining them: a join was planned as a nested loop over both.
#define ATTEMPT_MATCHES(ids, attempts)                                                          \
    "(" attempts "::int[] IS NULL OR (m.id, m.read_ct) IN (SELECT * FROM unnest(" ids         \
    "::bigint[], " attempts "::int[])) OR m.id IN (SELECT u.id FROM unnest(" ids "::bigint[], " \
    attempts "::int[]) AS u(id, attempt) WHERE u.attempt IS NULL)) "

// In one of the queues `queues` (a bigint[] parameter; NULL: any queue).
#define IN_QUEUES(queues) "(" queues "::bigint[] IS NULL OR m.queue_id = ANY (" queues ")) "
