// Ordered groups: the messages of one group of a queue are delivered one at a
// time, in the order they joined it (docs/semantics.md, "Ordered groups").
//
// Only a group's head is claimable; the others are held: held_vt = the vt
// they get when they become the head, and vt = held_vt_of(group key), a time
// of their group after the year 100000, where no claim looks and where the
// queue's (queue_id, vt, id) index finds a group's held messages in id order
// (groups whose keys share the time are told apart by group_key). Every change of a
// group's members holds the group's row in message_groups, locked in key
// order: an insert locks before it takes ids (lock_groups), so ids follow the
// order of joining; a removal locks after its delete and then, in a statement
// of its own that sees what the transactions it waited for committed, makes
// the next member the head. exec() calls settle_groups for every statement
// whose MessageEffect says it inserts or deletes messages (spi.hpp), so no
// path can forget a group.
#pragma once

#include "spi.hpp"

namespace pgqrs {

constexpr int max_group_key_bytes = 256;

// Raises an error unless key (element `position` of group_keys, 0 for the
// single argument) is 1 to max_group_key_bytes long.
void check_group_key(Datum key, int position);

// The vt of the held messages of group `key`: 40 bits of its md5, in
// microseconds after 100000-01-01 00:00 UTC. Computed here only, and passed
// to every statement that needs it.
TimestampTz held_vt_of(Datum key);

// held_vt_of each of keys (n of them; NULL where nulls[i]) as a timestamptz[].
Datum held_vts(const Datum *keys, const bool *nulls, int n);

// Before inserting messages of groups (keys: a text[], NULL elements ignored)
// into queue_id: creates or locks the groups' rows until the transaction ends.
void lock_groups(int64 queue_id, Datum keys);

// After a statement that inserted or deleted messages: counts them in or out
// of their groups, and gives a group whose head left, or that was empty, its
// next head.
void settle_groups(const MessageEffect &effect, const Rows &rows);

}  // namespace pgqrs
