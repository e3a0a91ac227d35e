// Plans the stripes of one topic read (stripe_plan.h) from its chunks: the read side of a striped GetFlightInfo.
//
// Contract:
//  - max_stripes <= 1, or no chunk in the window: one stripe, the window itself, and no I/O.
//  - Granularity: with at least 4 x max_stripes chunks in the window the units are whole chunks, from the catalog
//    records alone (no I/O; a stripe is then within one chunk of equal bytes). With fewer, the units are the row
//    groups of those chunks, from their Parquet footers (one footer read per chunk in the window, at most
//    4 x max_stripes - 1), so that even a one-chunk topic can be cut. A chunk of at most `row_group_rows` rows (the
//    writer's row-group size: one row group) is taken whole without reading its footer; 0 reads every footer. A
//    row group without timestamp statistics counts as spanning its whole chunk (no cut inside that chunk).
//  - Errors: an unreadable footer is IOError naming the object key.
#pragma once

#include <memory>
#include <vector>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/core/time_window.h"
#include "mosaico/read/read_options.h"
#include "mosaico/read/stripe_plan.h"
#include "mosaico/store/object_store.h"

namespace mosaico::read {

arrow::Result<std::vector<Stripe>> PlanTopicStripes(store::ObjectStore& store,
                                                    const std::vector<catalog::ChunkRecord>& chunks,
                                                    const TimeWindow& window, int max_stripes,
                                                    int64_t row_group_rows = 0, const ReadOptions& options = {});

}  // namespace mosaico::read
