#include "mosaico/console/frame.h"

#include <algorithm>
#include <limits>

#include <arrow/api.h>

#include "mosaico/read/topic_reader.h"

namespace mosaico::console {
namespace {

// The first (or last) row of the window, as a one-row batch; null when the window has none.
arrow::Result<std::shared_ptr<arrow::RecordBatch>> EdgeRow(std::shared_ptr<store::ObjectStore> store,
                                                            std::shared_ptr<arrow::Schema> schema,
                                                            const std::vector<catalog::ChunkRecord>& chunks,
                                                            TimeWindow window, bool last) {
  read::ReadOptions opts;
  opts.max_batch_rows = last ? 4096 : 1;
  ARROW_ASSIGN_OR_RAISE(auto reader, read::OpenTopicReader(store, schema, chunks, window, opts));
  std::shared_ptr<arrow::RecordBatch> found;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    ARROW_RETURN_NOT_OK(reader->ReadNext(&batch));
    if (!batch) break;
    if (batch->num_rows() == 0) continue;
    found = batch->Slice(last ? batch->num_rows() - 1 : 0, 1);
    if (!last) break;
  }
  ARROW_RETURN_NOT_OK(reader->Close());
  return found;
}

arrow::Result<Frame> ToFrame(const arrow::RecordBatch& row) {
  Frame f;
  auto ts = row.GetColumnByName("timestamp_ns");
  f.timestamp_ns = static_cast<const arrow::Int64Array&>(*ts).Value(0);
  auto scalar = [&](const char* name) -> std::shared_ptr<arrow::Scalar> {
    auto col = row.GetColumnByName(name);
    if (!col) return nullptr;
    auto s = col->GetScalar(0);
    return s.ok() && (*s)->is_valid ? *s : nullptr;
  };
  if (auto s = scalar("data")) {
    auto& b = static_cast<const arrow::BaseBinaryScalar&>(*s);
    f.data = b.value ? b.value->ToString() : "";
  }
  auto text = [&](const char* name) -> std::optional<std::string> {
    auto s = scalar(name);
    if (!s) return std::nullopt;
    return s->ToString();
  };
  auto integer = [&](const char* name) -> std::optional<int64_t> {
    auto s = scalar(name);
    if (!s) return std::nullopt;
    auto cast = s->CastTo(arrow::int64());
    if (!cast.ok()) return std::nullopt;
    return static_cast<const arrow::Int64Scalar&>(**cast).value;
  };
  f.format = text("format").value_or("");
  f.encoding = text("encoding");
  f.width = integer("width");
  f.height = integer("height");
  f.stride = integer("stride");
  if (auto s = scalar("is_bigendian"); s && s->type->id() == arrow::Type::BOOL) {
    f.is_bigendian = static_cast<const arrow::BooleanScalar&>(*s).value;
  }
  return f;
}

}  // namespace

OrderedJson Frame::Meta() const {
  OrderedJson m{{"timestamp_ns", timestamp_ns}, {"format", format}, {"bytes", data.size()}};
  if (width) m["width"] = *width;
  if (height) m["height"] = *height;
  if (stride) m["stride"] = *stride;
  if (encoding) m["encoding"] = *encoding;
  if (is_bigendian) m["is_bigendian"] = *is_bigendian;
  return m;
}

arrow::Result<Frame> FindFrame(std::shared_ptr<store::ObjectStore> store, std::shared_ptr<arrow::Schema> schema,
                               const std::vector<catalog::ChunkRecord>& chunks, int64_t t_ns, FrameDirection dir) {
  int64_t first = std::numeric_limits<int64_t>::max(), rows = 0, last = std::numeric_limits<int64_t>::min();
  for (const auto& c : chunks) {
    if (c.row_count == 0) continue;
    first = std::min(first, c.ts_min);
    last = std::max(last, c.ts_max);
    rows += c.row_count;
  }
  if (rows == 0) return arrow::Status::KeyError("the topic has no frames");
  std::shared_ptr<arrow::RecordBatch> next, prev;
  if (dir != FrameDirection::kPrev) {
    ARROW_ASSIGN_OR_RAISE(next, EdgeRow(store, schema, chunks, TimeWindow{t_ns, std::nullopt}, false));
  }
  if (dir != FrameDirection::kNext && t_ns > first) {
    // Start with the time ~8 rows take at the topic's average rate, double until found.
    int64_t span = std::max<int64_t>(1, (last - first) / std::max<int64_t>(1, rows) * 8);
    while (true) {
      const int64_t lo = (t_ns - first <= span) ? first : t_ns - span;
      ARROW_ASSIGN_OR_RAISE(prev, EdgeRow(store, schema, chunks, TimeWindow{lo, t_ns}, true));
      if (prev || lo <= first) break;
      span = span > std::numeric_limits<int64_t>::max() / 4 ? std::numeric_limits<int64_t>::max() / 2 : span * 2;
    }
  }
  std::shared_ptr<arrow::RecordBatch> pick;
  if (dir == FrameDirection::kNext) {
    pick = next;
  } else if (dir == FrameDirection::kPrev) {
    pick = prev;
  } else if (next && prev) {
    ARROW_ASSIGN_OR_RAISE(auto fn, ToFrame(*next));
    ARROW_ASSIGN_OR_RAISE(auto fp, ToFrame(*prev));
    return (fn.timestamp_ns - t_ns) < (t_ns - fp.timestamp_ns) ? fn : fp;
  } else {
    pick = next ? next : prev;
  }
  if (!pick) return arrow::Status::KeyError("no frame ", dir == FrameDirection::kPrev ? "before " : "at or after ", t_ns);
  return ToFrame(*pick);
}

}  // namespace mosaico::console
