// The claim frontier: where a claim's index scan starts, so that it does not
// walk again the dead entries of messages consumed while the xmin horizon is
// pinned (docs/claim-frontier.md).
//
// With pgqrs in shared_preload_libraries, each queue of a database with a slot
// in shared memory has a lower bound F = (vt, id) below which no claimable
// message lies. A claim scans from F, and raises F on evidence; every
// statement that changes messages notes what it makes claimable (exec does it
// from the statement's MessageEffect, spi.hpp), and F is lowered after the
// commit or abort that makes those rows claimable is visible. Anything
// uncertain starts from the beginning of the queue, as a scan without the
// frontier does: no slot, no preloading, a REPEATABLE READ claim, a queue
// recreated under its name, a reset.
#pragma once

#include "pg.hpp"

namespace pgqrs {

// A position in a queue's claim order; vt = DT_NOBEGIN is the start.
struct ClaimKey {
    TimestampTz vt;
    int64 id;
};

constexpr ClaimKey claim_order_start = {DT_NOBEGIN, PG_INT64_MIN};

// Priorities 0 to 9: each is a claim order of its own, with its own F. A
// lowering lowers them all (a writer notes where, not at which priority).
constexpr int priority_levels = 10;

// pgqrs.frontier_queues: slots in shared memory (0: no frontier).
extern int frontier_queues_setting;
// pgqrs.frontier_reset_seconds: how often one claim of a queue audits its F:
// scans from the beginning and counts the rows found below it (0: never). No
// audit starts while another runs, nor sooner than 20 times as long as the last
// one took after it (at most 20 intervals).
extern int frontier_reset_seconds_setting;

// From _PG_init: asks for shared memory when preloading, registers the callbacks.
void frontier_init();

// True when this server has the frontier's shared memory (pgqrs preloaded).
bool frontier_active();

// A prepared transaction of this database is about to be committed or rolled
// back (its outcome may be visible before frontier_prepared_finished).
void frontier_prepared_finishing();

// A prepared transaction of this database was committed or rolled back: it may
// have changed messages of any queue, so every queue of the database restarts.
void frontier_prepared_finished();

// What a claim read before its statement took its snapshot.
struct ClaimStart {
    int64 queue_id;      // the queue F was read for; 0: none (scan from the start, never raise)
    int slot;            // -1: none yet (scan from the start; a raise takes one)
    uint32 generation;
    uint64 seq;          // lowerings seen so far
    ClaimKey from[priority_levels];  // where the scan of each priority starts
    bool audit;          // F was reset for this claim: count rows found below `audited`
    TimestampTz audit_started;
    ClaimKey audited[priority_levels];
    Snapshot before;     // taken before the statement's: rows it sees were not re-read
};

// Before the claim's statement (READ COMMITTED only): the start of queue_id's
// claims. queue_id 0 (unknown): the start.
ClaimStart frontier_start(int64 queue_id);

// True when a row version with this xmin was visible before the claim's
// statement began: its key is where the scan found it.
bool frontier_seen_before(const ClaimStart &start, TransactionId xmin);

// What a claim showed of one priority: every claimable row of it lies at or
// above target (has_target false: nothing known).
struct LevelEvidence {
    bool has_target;
    ClaimKey target;
};

// A claimed row seen before the claim's statement, where the scan found it;
// xmin: the transaction that wrote the version found.
struct FoundKey {
    int level;
    ClaimKey key;
    TransactionId xmin;
};

// After the claim's statement, which scanned the queue F was read for when
// `scanned`: raises each priority's F to its evidence's target, clamped by
// every lowering since the start; a queue without a slot gets one instead.
// `found` are counted as found below F when this claim audits it, except
// rows whose writer is between its commit and its lowering (I1). Releases
// start.before.
void frontier_finish(ClaimStart &start, bool scanned, const LevelEvidence *levels,
                     const FoundKey *found, int nfound);

// This transaction makes a row of queue_id claimable at vt if it commits.
void frontier_note_commit(int64 queue_id, TimestampTz vt);

// ... or if it (or the subtransaction running now) aborts; DT_NOBEGIN: anywhere.
void frontier_note_abort(int64 queue_id, TimestampTz vt);

// A statement that may lock messages runs now: if the transaction or the
// subtransaction aborts before frontier_statement_ends (an error or a cancel
// inside it, before its rows are noted), every queue of the database restarts.
void frontier_statement_begins();
void frontier_statement_ends();

// The queue is deleted if this transaction commits: its slot is freed then.
void frontier_note_deleted(int64 queue_id);

// One queue's slot, for claim_frontier_stats; f: the lowest F of the
// priorities its claims have scanned.
struct FrontierStats {
    int64 queue_id;
    ClaimKey f;
    int64 raises, refused_raises, lowerings, resets, found_below;
    int64 last_audit_usecs;  // -1: no audit yet
    TimestampTz next_audit;  // DT_NOEND: audits are off
};

// The slots of this database, into stats (at most max); returns how many.
int frontier_stats(FrontierStats *stats, int max);

// F of queue_id (every queue of this database when 0) back to the start; returns the slots reset.
int frontier_reset(int64 queue_id);

}  // namespace pgqrs
