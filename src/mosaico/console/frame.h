// One image of an image topic (the SDK's Image and CompressedImage models) for the console's frame viewer.
//
// Contract:
//  - FindFrame returns the row nearest `t_ns` ("nearest"; a tie goes to the earlier row), the first row at or
//    after it ("next") or the last row before it ("prev"), read through the ordinary read path
//    (read/topic_reader.h) over a small window: "prev" widens its window (doubling, from the catalog's row rate)
//    until a row is found or the topic's start is passed. NotFound when there is no such row.
//  - The frame carries the row's bytes as stored (JPEG / PNG / raw pixels) and its fields: format, and for Image
//    width, height, stride, encoding, is_bigendian (absent fields stay unset).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/result.h>
#include <arrow/type_fwd.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/core/json.h"
#include "mosaico/store/object_store.h"

namespace mosaico::console {

struct Frame {
  int64_t timestamp_ns = 0;
  std::string data;
  std::string format;
  std::optional<int64_t> width, height, stride;
  std::optional<std::string> encoding;
  std::optional<bool> is_bigendian;
  OrderedJson Meta() const;  // everything but the data
};

enum class FrameDirection { kNearest, kNext, kPrev };

arrow::Result<Frame> FindFrame(std::shared_ptr<store::ObjectStore> store, std::shared_ptr<arrow::Schema> schema,
                               const std::vector<catalog::ChunkRecord>& chunks, int64_t t_ns, FrameDirection dir);

}  // namespace mosaico::console
