// The shared library: module magic, the settings of pgqrs, and the shared
// memory of waiting consumers when the library is preloaded.
#include "args.hpp"
#include "wake.hpp"

extern "C" {
PG_MODULE_MAGIC;

void _PG_init(void);

void _PG_init(void)
{
    DefineCustomIntVariable("pgqrs.max_payload_bytes",
                            "Largest message payload pgqrs accepts, in bytes.",
                            "Measured as the size of the jsonb value.",
                            &pgqrs::max_payload_bytes, 1024 * 1024, 1, MaxAllocSize - 1,
                            PGC_SUSET, GUC_UNIT_BYTE, nullptr, nullptr, nullptr);
    MarkGUCPrefixReserved("pgqrs");
    pgqrs::wake_init();
}
}
