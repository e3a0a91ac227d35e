// The version of mosaicod (CMake's project version), as --version, the start-up log line and `info` report it.
#pragma once

namespace mosaicod {

const char* Version();

}  // namespace mosaicod
