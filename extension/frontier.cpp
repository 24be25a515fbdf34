#include "frontier.hpp"

extern "C" {
#include "access/subtrans.h"
#include "access/transam.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/snapmgr.h"
}

namespace pgqrs {

int frontier_queues_setting = 1024;
int frontier_reset_seconds_setting = 60;

namespace {

// The last lowerings of a slot, by seq, and the lowest of each block of
// ring_size seqs for the last block_count blocks: a claim finds the lowest
// lowering since its start exactly within ring_size lowerings, then by whole
// blocks (lower, never higher); a claim whose raise comes more than about
// block_count * ring_size lowerings after its start does not raise
// (refused_raises).
constexpr int ring_size = 128;
constexpr int block_count = 64;
constexpr int64 audit_spacing = 20;

struct Slot {
    slock_t mutex;
    Oid database;  // InvalidOid: free
    int64 queue_id;
    uint32 generation;  // a new one each time the slot is taken or freed
    ClaimKey f[priority_levels];
    uint32 levels_claimed;  // bit p: a claim scanned priority p
    uint64 seq;
    TimestampTz ring[ring_size];
    TimestampTz block_lowest[block_count];  // block b = seqs b * ring_size ... at b % block_count
    TimestampTz last_reset;
    TimestampTz audit_held_until;  // no audit before: one runs, or the last one's cost (audit_spacing)
    int64 last_audit_usecs;        // how long the last audit's claim took; -1: none yet
    int64 raises, refused_raises, lowerings, resets, found_below;
};

// The slots, then the index that finds a queue's slot: open addressing with
// linear probing over twice as many buckets as slots, each the slot's number,
// `empty` or `removed`. Written under `allocating`, read without a lock: a
// reader checks the slot it finds under the slot's mutex.
struct FrontierState {
    slock_t allocating;
    int nslots;
    int nbuckets;  // a power of two
    Slot slots[FLEXIBLE_ARRAY_MEMBER];
};
constexpr int32 empty = -1;
constexpr int32 removed = -2;

FrontierState *state = nullptr;

// Per backend (by pgprocno): the xid of its transaction from just before its
// commit until its lowerings are done (InvalidTransactionId: none). In that
// window its rows are visible and F may still lie above them (invariant I1):
// an audit does not count them as found below. any_transaction: this backend
// finishes a prepared transaction, whose xid it does not know.
pg_atomic_uint32 *committing = nullptr;
constexpr TransactionId any_transaction = FrozenTransactionId;
int ncommitting = 0;
shmem_request_hook_type prev_shmem_request_hook = nullptr;
shmem_startup_hook_type prev_shmem_startup_hook = nullptr;

// What this transaction makes claimable, per queue and subtransaction; plain
// static data, read by the callbacks. DT_NOEND: nothing.
struct Note {
    int64 queue_id;
    SubTransactionId subxact;
    TimestampTz at_commit;
    TimestampTz at_abort;
    bool deleted;
};
constexpr int max_notes = 64;
Note notes[max_notes];
int nnotes = 0;
bool notes_overflow = false;  // more than fit: every queue of the database restarts
// A statement that may lock messages began in this subtransaction and has not
// noted its rows yet (InvalidSubTransactionId: none).
SubTransactionId statement_running = InvalidSubTransactionId;

// This backend's last slots found, by queue.
constexpr int cache_size = 16;
struct CacheEntry {
    Oid database;
    int64 queue_id;
    int slot;
};
CacheEntry cache[cache_size];
int cache_next = 0;

bool key_less(ClaimKey a, ClaimKey b)
{
    return a.vt < b.vt || (a.vt == b.vt && a.id < b.id);
}

int buckets_for(int nslots)
{
    int n = 1;
    while (n < 2 * nslots)
        n <<= 1;
    return n;
}

Size state_size()
{
    Size size = add_size(offsetof(FrontierState, slots), mul_size(frontier_queues_setting, sizeof(Slot)));
    return add_size(size, mul_size(buckets_for(frontier_queues_setting), sizeof(int32)));
}

int32 *buckets()
{
    return reinterpret_cast<int32 *>(&state->slots[state->nslots]);
}

int bucket_of(int64 queue_id)
{
    uint64 key = (static_cast<uint64>(MyDatabaseId) << 40) ^ static_cast<uint64>(queue_id);
    return static_cast<int>((key * UINT64CONST(0x9E3779B97F4A7C15)) >> 32) & (state->nbuckets - 1);
}

Size committing_size()
{
    return mul_size(MaxBackends + NUM_AUXILIARY_PROCS, sizeof(pg_atomic_uint32));
}

void request_shmem()
{
    if (prev_shmem_request_hook != nullptr)
        prev_shmem_request_hook();
    RequestAddinShmemSpace(state_size());
    RequestAddinShmemSpace(committing_size());
}

void startup_shmem()
{
    if (prev_shmem_startup_hook != nullptr)
        prev_shmem_startup_hook();
    bool found;
    LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
    state = static_cast<FrontierState *>(ShmemInitStruct("pgqrs claim frontier", state_size(), &found));
    if (!found) {
        SpinLockInit(&state->allocating);
        state->nslots = frontier_queues_setting;
        state->nbuckets = buckets_for(frontier_queues_setting);
        for (int b = 0; b < state->nbuckets; b++)
            buckets()[b] = empty;
        for (int i = 0; i < state->nslots; i++) {
            Slot *slot = &state->slots[i];
            SpinLockInit(&slot->mutex);
            slot->database = InvalidOid;
            slot->queue_id = 0;
            slot->generation = 0;
            slot->seq = 0;
        }
    }
    ncommitting = MaxBackends + NUM_AUXILIARY_PROCS;
    committing = static_cast<pg_atomic_uint32 *>(
        ShmemInitStruct("pgqrs claim frontier commits", committing_size(), &found));
    if (!found)
        for (int i = 0; i < ncommitting; i++)
            pg_atomic_init_u32(&committing[i], InvalidTransactionId);
    LWLockRelease(AddinShmemInitLock);
}

bool slot_is(const Slot *slot, int64 queue_id)
{
    return slot->database == MyDatabaseId && slot->queue_id == queue_id;
}

// The slot of queue_id in this database by the index, -1 when it has none.
int lookup(int64 queue_id)
{
    int32 *b = buckets();
    int mask = state->nbuckets - 1;
    for (int i = bucket_of(queue_id), n = 0; n < state->nbuckets; i = (i + 1) & mask, n++) {
        int32 slot = b[i];
        if (slot == empty)
            return -1;
        if (slot >= 0 && slot_is(&state->slots[slot], queue_id))
            return slot;
    }
    return -1;
}

// Under `allocating`: the bucket of the index that holds `slot`, or -1.
int bucket_holding(int32 slot, int64 queue_id)
{
    int32 *b = buckets();
    int mask = state->nbuckets - 1;
    for (int i = bucket_of(queue_id), n = 0; n < state->nbuckets; i = (i + 1) & mask, n++) {
        if (b[i] == slot)
            return i;
        if (b[i] == empty)
            return -1;
    }
    return -1;
}

// Under `allocating`: takes a free slot for queue_id; -1 when none is free.
int take_slot(int64 queue_id)
{
    int32 *b = buckets();
    int mask = state->nbuckets - 1;
    int bucket = bucket_of(queue_id);
    while (b[bucket] >= 0)  // twice the slots: a bucket is free
        bucket = (bucket + 1) & mask;
    for (int i = 0; i < state->nslots; i++) {
        Slot *slot = &state->slots[i];
        if (slot->database != InvalidOid)
            continue;
        TimestampTz now = GetCurrentTimestamp();
        SpinLockAcquire(&slot->mutex);
        slot->generation++;
        for (ClaimKey &f : slot->f)
            f = claim_order_start;
        slot->levels_claimed = 0;
        for (TimestampTz &block : slot->block_lowest)
            block = DT_NOEND;  // none of this queue's lowerings yet
        slot->seq++;
        slot->last_reset = now;
        slot->audit_held_until = DT_NOBEGIN;
        slot->last_audit_usecs = -1;
        slot->raises = slot->refused_raises = slot->lowerings = slot->resets = slot->found_below = 0;
        slot->queue_id = queue_id;
        slot->database = MyDatabaseId;
        SpinLockRelease(&slot->mutex);
        b[bucket] = i;
        return i;
    }
    return -1;
}

// The slot of queue_id in this database, -1 when it has none (and create is
// false or every slot is taken). Fields read here unlocked are checked again
// under the slot's mutex by the caller. A writer's callback finds a slot that
// a claim took before its snapshot: the ProcArrayLock both take orders them.
int find_slot(int64 queue_id, bool create)
{
    for (int i = 0; i < cache_size; i++) {
        const CacheEntry &e = cache[i];
        if (e.queue_id == queue_id && e.database == MyDatabaseId &&
            slot_is(&state->slots[e.slot], queue_id))
            return e.slot;
    }
    int found = lookup(queue_id);
    if (found < 0 && create) {
        SpinLockAcquire(&state->allocating);
        found = lookup(queue_id);
        if (found < 0)
            found = take_slot(queue_id);
        SpinLockRelease(&state->allocating);
    }
    if (found >= 0) {
        cache[cache_next] = {MyDatabaseId, queue_id, found};
        cache_next = (cache_next + 1) % cache_size;
    }
    return found;
}

// Under the slot's mutex: F of every priority goes down to (vt, min) and the
// lowering is recorded for the claims running now.
void lower_locked(Slot *slot, TimestampTz vt)
{
    slot->seq++;
    slot->ring[slot->seq % ring_size] = vt;
    TimestampTz &block = slot->block_lowest[(slot->seq / ring_size) % block_count];
    block = slot->seq % ring_size == 0 ? vt : Min(block, vt);  // a block's first seq starts it
    slot->lowerings++;
    ClaimKey key = {vt, PG_INT64_MIN};
    for (ClaimKey &f : slot->f)
        if (key_less(key, f))
            f = key;
}

// Under the slot's mutex: the lowest lowering after seq `since` (DT_NOEND:
// none); false when the ring and the blocks no longer hold them all. Entries
// of seqs that lowered nothing (a slot taken) hold older values: lower, so safe.
bool lowest_since(const Slot *slot, uint64 since, TimestampTz *lowest)
{
    *lowest = DT_NOEND;
    if (slot->seq - since < static_cast<uint64>(ring_size)) {
        for (uint64 s = since + 1; s <= slot->seq; s++)
            *lowest = Min(*lowest, slot->ring[s % ring_size]);
        return true;
    }
    uint64 first = (since + 1) / ring_size, last = slot->seq / ring_size;
    if (last - first >= static_cast<uint64>(block_count))
        return false;
    for (uint64 b = first; b <= last; b++)  // the first block may hold lowerings before `since`
        *lowest = Min(*lowest, slot->block_lowest[b % block_count]);
    return true;
}

// Lowers queue_id's F once what this transaction did is visible. A vt later
// than now changes nothing: F is never above now.
void lower(int64 queue_id, TimestampTz vt)
{
    if (vt > GetCurrentTimestamp())
        return;
    int i = find_slot(queue_id, false);
    if (i < 0)
        return;
    Slot *slot = &state->slots[i];
    SpinLockAcquire(&slot->mutex);
    if (slot_is(slot, queue_id))
        lower_locked(slot, vt);
    SpinLockRelease(&slot->mutex);
}

// Every queue of this database restarts (the queues written are not known).
void lower_database()
{
    for (int i = 0; i < state->nslots; i++) {
        Slot *slot = &state->slots[i];
        if (slot->database != MyDatabaseId)
            continue;
        SpinLockAcquire(&slot->mutex);
        if (slot->database == MyDatabaseId)
            lower_locked(slot, DT_NOBEGIN);
        SpinLockRelease(&slot->mutex);
    }
}

void forget(int64 queue_id)
{
    SpinLockAcquire(&state->allocating);
    int i = lookup(queue_id);
    if (i >= 0) {
        int bucket = bucket_holding(i, queue_id);
        if (bucket >= 0)
            buckets()[bucket] = removed;
        Slot *slot = &state->slots[i];
        SpinLockAcquire(&slot->mutex);
        slot->database = InvalidOid;
        slot->queue_id = 0;
        slot->generation++;
        SpinLockRelease(&slot->mutex);
    }
    SpinLockRelease(&state->allocating);
}

Note *note_for(int64 queue_id)
{
    SubTransactionId subxact = GetCurrentSubTransactionId();
    for (int i = nnotes - 1; i >= 0; i--)
        if (notes[i].queue_id == queue_id && notes[i].subxact == subxact)
            return &notes[i];
    if (nnotes == max_notes) {
        notes_overflow = true;
        return nullptr;
    }
    notes[nnotes] = {queue_id, subxact, DT_NOEND, DT_NOEND, false};
    return &notes[nnotes++];
}

void clear_notes()
{
    nnotes = 0;
    notes_overflow = false;
    statement_running = InvalidSubTransactionId;
}

// This backend's entry of `committing`: xid from before its commit until its
// lowerings are done, then InvalidTransactionId again.
void publish_committing(TransactionId xid)
{
    int i = MyProc != nullptr ? MyProc->pgprocno : -1;
    if (i < 0 || i >= ncommitting)
        return;
    if (xid == InvalidTransactionId) {
        if (pg_atomic_read_u32(&committing[i]) == InvalidTransactionId)
            return;
        pg_write_barrier();  // the lowerings first
    }
    pg_atomic_write_u32(&committing[i], xid);  // a new xid: the commit's locks publish it before the commit
}

// True when xmin is (a subtransaction of) a transaction that has not finished
// its lowerings: this one (they come at its end), or one that has committed,
// or is committing.
bool lowering_pending(TransactionId xmin)
{
    if (!TransactionIdIsNormal(xmin))
        return false;
    if (TransactionIdIsCurrentTransactionId(xmin))
        return true;
    TransactionId top = xmin;
    if (TransactionIdFollowsOrEquals(xmin, TransactionXmin))  // pg_subtrans holds it
        top = SubTransGetTopmostTransaction(xmin);
    for (int i = 0; i < ncommitting; i++) {
        TransactionId x = pg_atomic_read_u32(&committing[i]);
        if (x == xmin || x == top || x == any_transaction)
            return true;
    }
    return false;
}

// Before the commit is visible (PRE_COMMIT) and after ProcArrayEndTransaction
// (COMMIT, ABORT): the outcome is visible to every new snapshot.
void on_transaction_end(XactEvent event, void *)
{
    if (event == XACT_EVENT_PRE_COMMIT && (nnotes > 0 || notes_overflow)) {
        TransactionId xid = GetTopTransactionIdIfAny();
        if (TransactionIdIsValid(xid))
            publish_committing(xid);
    }
    if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT) {
        bool commit = event == XACT_EVENT_COMMIT;
        for (int i = 0; i < nnotes; i++) {
            const Note &n = notes[i];
            if (commit && n.deleted)
                forget(n.queue_id);
            else
                lower(n.queue_id, commit ? n.at_commit : n.at_abort);
        }
        if (notes_overflow || statement_running != InvalidSubTransactionId)
            lower_database();
        publish_committing(InvalidTransactionId);
    }
    // At PREPARE the notes are dropped: COMMIT PREPARED and ROLLBACK PREPARED
    // restart every queue of the database (utility hook).
    if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT || event == XACT_EVENT_PREPARE ||
        event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT)
        clear_notes();
}

// After the subtransaction's xids are marked aborted: what it held is back.
// Notes of subtransactions that commit stay with their ids: a later abort of
// an enclosing one (a smaller id) applies them too.
void on_subtransaction_end(SubXactEvent event, SubTransactionId subxact, SubTransactionId, void *)
{
    if (event != SUBXACT_EVENT_ABORT_SUB)
        return;
    int kept = 0;
    for (int i = 0; i < nnotes; i++) {
        if (notes[i].subxact >= subxact)
            lower(notes[i].queue_id, notes[i].at_abort);
        else
            notes[kept++] = notes[i];
    }
    nnotes = kept;
    if (notes_overflow || (statement_running != InvalidSubTransactionId && statement_running >= subxact)) {
        lower_database();
        statement_running = InvalidSubTransactionId;
    }
}

}  // namespace

void frontier_init()
{
    if (!process_shared_preload_libraries_in_progress || frontier_queues_setting == 0)
        return;
    prev_shmem_request_hook = shmem_request_hook;
    shmem_request_hook = request_shmem;
    prev_shmem_startup_hook = shmem_startup_hook;
    shmem_startup_hook = startup_shmem;
    RegisterXactCallback(on_transaction_end, nullptr);
    RegisterSubXactCallback(on_subtransaction_end, nullptr);
}

void frontier_prepared_finishing()
{
    if (state != nullptr)
        publish_committing(any_transaction);
}

void frontier_prepared_finished()
{
    if (state == nullptr)
        return;
    lower_database();
    publish_committing(InvalidTransactionId);
}

// pgqrs.frontier_reset_seconds in microseconds.
static int64 audit_interval()
{
    return static_cast<int64>(frontier_reset_seconds_setting) * USECS_PER_SEC;
}

// The longest an audit holds the next one back: audit_spacing intervals.
static int64 longest_audit_hold()
{
    return audit_spacing * audit_interval();
}

// The next audit of the slot waits audit_spacing times as long as this one
// took (usecs, ending at `finished`), at most longest_audit_hold: audits cost
// at most 1 / audit_spacing of one claimer's time, however big the pile a
// pinned horizon left (slot locked).
static void hold_audits_locked(Slot *slot, int64 usecs, TimestampTz finished)
{
    usecs = Max(usecs, 0);
    slot->last_audit_usecs = usecs;
    slot->audit_held_until = finished + Min(audit_spacing * usecs, longest_audit_hold());
}

bool frontier_active()
{
    return state != nullptr;
}

ClaimStart frontier_start(int64 queue_id)
{
    ClaimStart start = {};
    start.slot = -1;
    for (int p = 0; p < priority_levels; p++)
        start.from[p] = start.audited[p] = claim_order_start;
    if (state == nullptr || queue_id == 0 || IsolationUsesXactSnapshot())
        return start;
    start.queue_id = queue_id;
    int i = find_slot(queue_id, false);
    if (i < 0)
        return start;  // a slot is taken once a claim shows the queue exists
    Slot *slot = &state->slots[i];
    TimestampTz now = GetCurrentTimestamp();
    SpinLockAcquire(&slot->mutex);
    if (slot_is(slot, queue_id)) {
        if (frontier_reset_seconds_setting > 0 && now >= slot->audit_held_until &&
            now - slot->last_reset >= audit_interval()) {
            // this claim alone scans from the start: the others keep F
            start.audit = true;
            start.audit_started = now;
            // none other while it runs; if it never finishes (an error), the longest hold
            slot->audit_held_until = now + longest_audit_hold();
            for (int p = 0; p < priority_levels; p++)
                start.audited[p] = slot->f[p];
            slot->resets++;
            slot->last_reset = now;
        }
        start.slot = i;
        start.generation = slot->generation;
        start.seq = slot->seq;
        for (int p = 0; p < priority_levels; p++)
            start.from[p] = start.audit ? claim_order_start : slot->f[p];
    }
    SpinLockRelease(&slot->mutex);
    if (start.slot >= 0)
        start.before = RegisterSnapshot(GetLatestSnapshot());
    return start;
}

bool frontier_seen_before(const ClaimStart &start, TransactionId xmin)
{
    if (start.before == nullptr)
        return false;
    if (!TransactionIdIsNormal(xmin) || TransactionIdIsCurrentTransactionId(xmin))
        return true;
    return !XidInMVCCSnapshot(xmin, start.before);
}

void frontier_finish(ClaimStart &start, bool scanned, const LevelEvidence *levels,
                     const FoundKey *found, int nfound)
{
    if (start.before != nullptr) {
        UnregisterSnapshot(start.before);
        start.before = nullptr;
    }
    if (start.slot < 0) {
        if (scanned && start.queue_id != 0)
            find_slot(start.queue_id, true);  // raised from the next claim on
        return;
    }
    bool raise = false;
    for (int p = 0; p < priority_levels; p++)
        raise = raise || (scanned && levels[p].has_target);
    // read before the lowerings below: a writer that is done has lowered F by
    // then; only rows below the audited F can count
    bool *pending = nullptr;
    if (start.audit) {
        pending = static_cast<bool *>(palloc(sizeof(bool) * (nfound + 1)));
        for (int i = 0; i < nfound; i++)
            pending[i] = key_less(found[i].key, start.audited[found[i].level]) &&
                         lowering_pending(found[i].xmin);
        pg_read_barrier();
    }
    TimestampTz finished = start.audit ? GetCurrentTimestamp() : 0;
    Slot *slot = &state->slots[start.slot];
    SpinLockAcquire(&slot->mutex);
    if (slot_is(slot, start.queue_id) && slot->generation == start.generation) {
        if (start.audit)
            hold_audits_locked(slot, finished - start.audit_started, finished);
        // the lowest lowering since the start: rows made claimable after the
        // claim's snapshot, which it could not see
        TimestampTz lowest;
        if (!lowest_since(slot, start.seq, &lowest)) {
            if (raise)
                slot->refused_raises++;
        } else {
            ClaimKey clamp = {lowest, lowest == DT_NOEND ? PG_INT64_MAX : PG_INT64_MIN};
            if (start.audit) {
                int missed = 0;
                for (int i = 0; i < nfound; i++) {
                    ClaimKey audited = start.audited[found[i].level];
                    ClaimKey bound = key_less(clamp, audited) ? clamp : audited;
                    if (key_less(found[i].key, bound) && !pending[i])
                        missed++;
                }
                slot->found_below += missed;
                if (missed > 0) {  // more may lie below F: every claim starts from the start
                    lower_locked(slot, DT_NOBEGIN);
                    raise = false;
                }
            }
            bool raised = false;
            for (int p = 0; raise && p < priority_levels; p++) {
                if (!levels[p].has_target)
                    continue;
                slot->levels_claimed |= 1u << p;
                ClaimKey target = key_less(clamp, levels[p].target) ? clamp : levels[p].target;
                if (key_less(slot->f[p], target)) {
                    slot->f[p] = target;
                    raised = true;
                }
            }
            if (raised)
                slot->raises++;
        }
    }
    SpinLockRelease(&slot->mutex);
}

void frontier_note_commit(int64 queue_id, TimestampTz vt)
{
    if (state == nullptr)
        return;
    Note *n = note_for(queue_id);
    if (n != nullptr && vt < n->at_commit)
        n->at_commit = vt;
}

void frontier_note_abort(int64 queue_id, TimestampTz vt)
{
    if (state == nullptr)
        return;
    Note *n = note_for(queue_id);
    if (n != nullptr && vt < n->at_abort)
        n->at_abort = vt;
}

void frontier_statement_begins()
{
    if (state != nullptr && statement_running == InvalidSubTransactionId)
        statement_running = GetCurrentSubTransactionId();
}

void frontier_statement_ends()
{
    statement_running = InvalidSubTransactionId;
}

void frontier_note_deleted(int64 queue_id)
{
    if (state == nullptr)
        return;
    Note *n = note_for(queue_id);
    if (n != nullptr)
        n->deleted = true;
}

int frontier_stats(FrontierStats *stats, int max)
{
    if (state == nullptr)
        return 0;
    int n = 0;
    for (int i = 0; i < state->nslots && n < max; i++) {
        Slot *slot = &state->slots[i];
        if (slot->database != MyDatabaseId)
            continue;
        SpinLockAcquire(&slot->mutex);
        if (slot->database == MyDatabaseId) {
            ClaimKey lowest = {DT_NOEND, PG_INT64_MAX};
            for (int p = 0; p < priority_levels; p++)
                if ((slot->levels_claimed & (1u << p)) != 0 && key_less(slot->f[p], lowest))
                    lowest = slot->f[p];
            if (slot->levels_claimed == 0)
                lowest = slot->f[0];
            TimestampTz next_audit = DT_NOEND;  // never: audits are off
            if (frontier_reset_seconds_setting > 0)
                next_audit = Max(slot->audit_held_until, slot->last_reset + audit_interval());
            stats[n] = {slot->queue_id, lowest, slot->raises, slot->refused_raises,
                        slot->lowerings, slot->resets, slot->found_below, slot->last_audit_usecs,
                        next_audit};
            n++;
        }
        SpinLockRelease(&slot->mutex);
    }
    return n;
}

int frontier_reset(int64 queue_id)
{
    if (state == nullptr)
        return 0;
    int n = 0;
    TimestampTz now = GetCurrentTimestamp();
    for (int i = 0; i < state->nslots; i++) {
        Slot *slot = &state->slots[i];
        if (slot->database != MyDatabaseId || (queue_id != 0 && slot->queue_id != queue_id))
            continue;
        SpinLockAcquire(&slot->mutex);
        if (slot->database == MyDatabaseId && (queue_id == 0 || slot->queue_id == queue_id)) {
            lower_locked(slot, DT_NOBEGIN);
            slot->lowerings--;
            slot->resets++;
            slot->last_reset = now;
            n++;
        }
        SpinLockRelease(&slot->mutex);
    }
    return n;
}

}  // namespace pgqrs
