#include "wake.hpp"

extern "C" {
#include "access/xact.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
}

namespace pgqrs {

namespace {

// One per backend. `word` is (generation << 1) | armed: a waker disarms the slot
// by compare-and-swap on the word it read, so a slot re-armed in between (a new
// generation) is never disarmed by a waker that read its old queue. The other
// fields are written by the owner only while the slot is disarmed.
struct WaiterSlot {
    pg_atomic_uint64 word;
    Oid database;
    int32 want;  // the waiter's batch size
    int64 queue_id;
    Latch *latch;
};

struct WakeState {
    pg_atomic_uint32 armed;      // armed slots, to skip the scan when none
    pg_atomic_uint32 next_scan;  // the slot after the one woken last
    int nslots;
    WaiterSlot slots[FLEXIBLE_ARRAY_MEMBER];
};

WakeState *state = nullptr;
shmem_request_hook_type prev_shmem_request_hook = nullptr;
shmem_startup_hook_type prev_shmem_startup_hook = nullptr;

// Wake-ups this transaction owes, per queue of this database; plain static data.
constexpr int max_pending = 32;
struct Pending {
    int64 queue_id;
    int count;  // messages, or wake_everyone
};
struct PendingList {
    Pending items[max_pending];
    int n;
    bool overflow;  // more queues than fit: wake every waiter of the database
};
PendingList at_commit;
PendingList at_abort;

// This backend's own registration.
uint64 my_generation = 0;
bool my_armed = false;  // armed by us and not disarmed by us since
int64 my_queue = 0;
int32 my_want = 1;
bool exit_hook_set = false;

Size state_size()
{
    return add_size(offsetof(WakeState, slots), mul_size(MaxBackends, sizeof(WaiterSlot)));
}

void request_shmem()
{
    if (prev_shmem_request_hook != nullptr)
        prev_shmem_request_hook();
    RequestAddinShmemSpace(state_size());
}

void startup_shmem()
{
    if (prev_shmem_startup_hook != nullptr)
        prev_shmem_startup_hook();

    bool found;
    LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
    state = static_cast<WakeState *>(ShmemInitStruct("pgqrs waiters", state_size(), &found));
    if (!found) {
        pg_atomic_init_u32(&state->armed, 0);
        pg_atomic_init_u32(&state->next_scan, 0);
        state->nslots = MaxBackends;
        for (int i = 0; i < state->nslots; i++) {
            pg_atomic_init_u64(&state->slots[i].word, 0);
            state->slots[i].database = InvalidOid;
            state->slots[i].want = 1;
            state->slots[i].queue_id = 0;
            state->slots[i].latch = nullptr;
        }
    }
    LWLockRelease(AddinShmemInitLock);
}

WaiterSlot *my_slot()
{
    if (state == nullptr || MyBackendId < 1 || MyBackendId > state->nslots)
        return nullptr;
    return &state->slots[MyBackendId - 1];
}

// Wakes waiters of (database, queue_id) until their batch sizes cover `count`
// messages (every waiter for wake_everyone; any queue of the database for
// queue_id 0), starting after the waiter woken last.
void wake_waiters(Oid database, int64 queue_id, int count)
{
    if (pg_atomic_read_u32(&state->armed) == 0)
        return;
    int nslots = state->nslots;
    int start = static_cast<int>(pg_atomic_read_u32(&state->next_scan) % nslots);
    for (int i = 0; i < nslots; i++) {
        int index = (start + i) % nslots;
        WaiterSlot *slot = &state->slots[index];
        uint64 word = pg_atomic_read_u64(&slot->word);
        if ((word & 1) == 0)
            continue;
        pg_read_barrier();  // the fields as they were when this generation was armed
        if (slot->database != database || (queue_id != 0 && slot->queue_id != queue_id))
            continue;
        int want = slot->want;
        Latch *latch = slot->latch;
        if (!pg_atomic_compare_exchange_u64(&slot->word, &word, word & ~UINT64CONST(1)))
            continue;  // re-armed or woken by someone else meanwhile
        pg_atomic_fetch_sub_u32(&state->armed, 1);
        SetLatch(latch);
        pg_atomic_write_u32(&state->next_scan, static_cast<uint32>(index + 1));
        if (count != wake_everyone) {
            count -= Max(want, 1);
            if (count <= 0)
                return;
        }
    }
}

void add_pending(PendingList &list, int64 queue_id, int count)
{
    if (state == nullptr || count == 0)
        return;
    for (int i = 0; i < list.n; i++) {
        Pending &p = list.items[i];
        if (p.queue_id == queue_id) {
            p.count = (p.count == wake_everyone || count == wake_everyone)
                          ? wake_everyone
                          : (p.count > PG_INT32_MAX - count ? PG_INT32_MAX : p.count + count);
            return;
        }
    }
    if (list.n < max_pending)
        list.items[list.n++] = {queue_id, count};
    else
        list.overflow = true;
}

void wake_pending(const PendingList &list)
{
    for (int i = 0; i < list.n; i++)
        wake_waiters(MyDatabaseId, list.items[i].queue_id, list.items[i].count);
    if (list.overflow)
        wake_waiters(MyDatabaseId, 0, wake_everyone);
}

void on_transaction_end(XactEvent event, void *)
{
    if (event == XACT_EVENT_COMMIT)
        wake_pending(at_commit);
    else if (event == XACT_EVENT_ABORT)
        wake_pending(at_abort);
    // At PREPARE TRANSACTION the wake-ups are dropped here: COMMIT PREPARED
    // and ROLLBACK PREPARED wake every waiter of the database (utility hook).
    if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
        event == XACT_EVENT_PREPARE || event == XACT_EVENT_PARALLEL_COMMIT ||
        event == XACT_EVENT_PARALLEL_ABORT) {
        at_commit.n = at_abort.n = 0;
        at_commit.overflow = at_abort.overflow = false;
    }
}


// A backend terminated while it waits leaves by proc_exit, past any
// PG_FINALLY: its slot is cleared then too, and a wake-up it had not used
// goes to another waiter.
void disarm_at_exit(int, Datum)
{
    if (wake_disarm())
        wake_now(my_queue, my_want);
}

}  // namespace

void wake_init()
{
    if (!process_shared_preload_libraries_in_progress)
        return;
    prev_shmem_request_hook = shmem_request_hook;
    shmem_request_hook = request_shmem;
    prev_shmem_startup_hook = shmem_startup_hook;
    shmem_startup_hook = startup_shmem;
    RegisterXactCallback(on_transaction_end, nullptr);
}

void wake_prepared_finished()
{
    if (state != nullptr)
        wake_waiters(MyDatabaseId, 0, wake_everyone);
}

bool wake_available()
{
    return state != nullptr;
}

void wake_after_commit(int64 queue_id, int count)
{
    add_pending(at_commit, queue_id, count);
}

void wake_after_commit_rows(const Rows &rows, const char *queue_column)
{
    if (state == nullptr)
        return;
    for (uint64 row = 0; row < rows.count; row++) {
        bool isnull;
        Datum queue_id = value(rows, row, queue_column, INT8OID, &isnull);
        if (!isnull)
            add_pending(at_commit, DatumGetInt64(queue_id), 1);
    }
}

void wake_after_abort(int64 queue_id, int count)
{
    add_pending(at_abort, queue_id, count);
}

void wake_now(int64 queue_id, int count)
{
    if (state != nullptr)
        wake_waiters(MyDatabaseId, queue_id, count);
}

void wake_arm(int64 queue_id, int want)
{
    WaiterSlot *slot = my_slot();
    if (slot == nullptr)
        return;
    if (my_armed && my_queue == queue_id && my_want == want &&
        pg_atomic_read_u64(&slot->word) == ((my_generation << 1) | 1))
        return;  // still armed as asked
    (void) wake_disarm();
    if (!exit_hook_set) {
        before_shmem_exit(disarm_at_exit, (Datum) 0);
        exit_hook_set = true;
    }
    slot->database = MyDatabaseId;
    slot->queue_id = queue_id;
    slot->want = want;
    slot->latch = MyLatch;
    my_queue = queue_id;
    my_want = want;
    my_generation++;
    // a full barrier: the fields are visible before the armed word, and the
    // claim that follows sees every commit whose waker could have missed this slot
    pg_atomic_exchange_u64(&slot->word, (my_generation << 1) | 1);
    pg_atomic_fetch_add_u32(&state->armed, 1);
    my_armed = true;
}

bool wake_disarm()
{
    WaiterSlot *slot = my_slot();
    if (slot == nullptr || !my_armed)
        return false;
    my_armed = false;
    uint64 was = pg_atomic_exchange_u64(&slot->word, my_generation << 1);
    if ((was & 1) == 0)
        return true;  // a waker took it
    pg_atomic_fetch_sub_u32(&state->armed, 1);
    return false;
}

}  // namespace pgqrs
