// The daemon's jemalloc settings (src/mosaico/server/process_memory.h says why each one). Linked into the mosaicod
// executable only (CMakeLists.txt), next to Debian's libjemalloc that replaces glibc malloc there: jemalloc reads this
// symbol when it initializes, before main; a MALLOC_CONF environment variable is applied after it and wins.
// Libraries and unit tests never see it, and without jemalloc it is an unused string.
#include "mosaico/server/process_memory.h"

extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's interface (`man jemalloc`, "malloc_conf").
constinit const char* malloc_conf = mosaico::server::kDaemonJemallocConf;
}
