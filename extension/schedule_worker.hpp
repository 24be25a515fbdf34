// The background workers that run the schedules of every database when
// pgqrs is preloaded: a launcher, connected to no database, that starts a
// short-lived runner in each database in turn; the runner calls
// run_due_schedules() when pgqrs of this library's version is installed there.
#pragma once

namespace pgqrs {

// From _PG_init: defines the settings; when preloading, registers the launcher.
void schedule_init();

}  // namespace pgqrs
