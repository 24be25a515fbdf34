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

struct WaiterSlot {
    pg_atomic_uint64 queue_id;  // 0: not waiting
    Latch *latch;
};

struct WakeState {
    pg_atomic_uint32 waiting;   // slots with a queue_id, to skip the scan when none
    pg_atomic_uint32 next_scan; // where the next scan starts, so wake-ups rotate
    int nslots;
    WaiterSlot slots[FLEXIBLE_ARRAY_MEMBER];
};

WakeState *state = nullptr;
shmem_request_hook_type prev_shmem_request_hook = nullptr;
shmem_startup_hook_type prev_shmem_startup_hook = nullptr;

// Queues this transaction enqueued to, with message counts; plain static data.
constexpr int max_pending = 32;
struct Pending {
    int64 queue_id;
    int count;
};
Pending pending[max_pending];
int npending = 0;
bool pending_overflow = false;  // more queues than fit: wake every waiter at commit
bool exit_hook_set = false;     // this backend clears its slot when it exits

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
        pg_atomic_init_u32(&state->waiting, 0);
        pg_atomic_init_u32(&state->next_scan, 0);
        state->nslots = MaxBackends;
        for (int i = 0; i < state->nslots; i++) {
            pg_atomic_init_u64(&state->slots[i].queue_id, 0);
            state->slots[i].latch = nullptr;
        }
    }
    LWLockRelease(AddinShmemInitLock);
}

void unregister_at_exit(int, Datum)
{
    wake_unregister();
}

WaiterSlot *my_slot()
{
    if (state == nullptr || MyBackendId < 1 || MyBackendId > state->nslots)
        return nullptr;
    return &state->slots[MyBackendId - 1];
}

// Wakes up to `count` waiters of queue_id (any queue when queue_id is 0).
void wake_waiters(int64 queue_id, int count)
{
    int start = static_cast<int>(pg_atomic_fetch_add_u32(&state->next_scan, 1) % state->nslots);
    for (int i = 0; i < state->nslots && count > 0; i++) {
        WaiterSlot *slot = &state->slots[(start + i) % state->nslots];
        uint64 waiting_on = pg_atomic_read_u64(&slot->queue_id);
        if (waiting_on == 0 || (queue_id != 0 && waiting_on != static_cast<uint64>(queue_id)))
            continue;
        // Clearing the slot claims the right to wake it: one message, one waiter.
        if (pg_atomic_compare_exchange_u64(&slot->queue_id, &waiting_on, 0)) {
            pg_atomic_fetch_sub_u32(&state->waiting, 1);
            SetLatch(slot->latch);
            count--;
        }
    }
}

void on_transaction_end(XactEvent event, void *)
{
    if (event == XACT_EVENT_COMMIT && npending > 0 && pg_atomic_read_u32(&state->waiting) > 0) {
        for (int i = 0; i < npending; i++)
            wake_waiters(pending[i].queue_id, pending[i].count);
        if (pending_overflow)
            wake_waiters(0, state->nslots);
    }
    if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
        event == XACT_EVENT_PREPARE || event == XACT_EVENT_PARALLEL_COMMIT ||
        event == XACT_EVENT_PARALLEL_ABORT) {
        npending = 0;
        pending_overflow = false;
    }
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

bool wake_available()
{
    return state != nullptr;
}

void wake_after_commit(int64 queue_id, int count)
{
    if (state == nullptr)
        return;
    for (int i = 0; i < npending; i++) {
        if (pending[i].queue_id == queue_id) {
            pending[i].count += count;
            return;
        }
    }
    if (npending < max_pending)
        pending[npending++] = {queue_id, count};
    else
        pending_overflow = true;
}

void wake_register(int64 queue_id)
{
    WaiterSlot *slot = my_slot();
    if (slot == nullptr)
        return;
    if (!exit_hook_set) {
        // a backend terminated while it waits leaves by proc_exit, past any
        // PG_FINALLY: clear its slot then too
        before_shmem_exit(unregister_at_exit, (Datum) 0);
        exit_hook_set = true;
    }
    slot->latch = MyLatch;
    // exchange is a full barrier: the claim that follows sees every commit whose
    // waker could have missed this slot
    if (pg_atomic_exchange_u64(&slot->queue_id, static_cast<uint64>(queue_id)) == 0)
        pg_atomic_fetch_add_u32(&state->waiting, 1);
}

void wake_unregister()
{
    WaiterSlot *slot = my_slot();
    if (slot == nullptr)
        return;
    if (pg_atomic_exchange_u64(&slot->queue_id, 0) != 0)
        pg_atomic_fetch_sub_u32(&state->waiting, 1);
}

}  // namespace pgqrs
