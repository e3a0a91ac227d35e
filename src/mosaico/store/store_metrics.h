// Store metrics (metrics::Default(); docs/OPERATIONS.md "Metrics"):
//   mosaicod_store_bytes_written_total   bytes this process wrote into the object store: every PutAtomic object
//                                        (manifests, markers, keys) and every byte streamed through OpenWrite
//                                        (Parquet chunks, by ingest and compaction), counted as it is written, so an
//                                        object whose write fails later still counts what was sent.
#pragma once

#include "mosaico/metrics/registry.h"

namespace mosaico::store {

metrics::Counter& StoreBytesWritten();

}  // namespace mosaico::store
