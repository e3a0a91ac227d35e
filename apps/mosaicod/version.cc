#include "version.h"

#ifndef MOSAICOD_VERSION
#define MOSAICOD_VERSION "0.0.0"
#endif

namespace mosaicod {

const char* Version() { return MOSAICOD_VERSION; }

}  // namespace mosaicod
