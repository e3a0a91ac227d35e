// Arrow >= 21 registers the compute kernels (min_max, sort_indices, take, cast, ...) only on request.
// Every ingest entry point that uses arrow::compute calls this first; it runs arrow::compute::Initialize() once
// per process and returns its status thereafter.
#pragma once

#include <arrow/status.h>

namespace mosaico::ingest {

arrow::Status EnsureComputeInitialized();

}  // namespace mosaico::ingest
