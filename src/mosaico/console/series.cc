#include "mosaico/console/series.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <deque>
#include <mutex>
#include <numeric>
#include <unordered_map>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <parquet/arrow/reader.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>
#include <parquet/statistics.h>

#include "mosaico/read/chunk_file.h"
#include "mosaico/read/read_plan.h"

namespace mosaico::console {
namespace {

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    out.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

bool IsNumeric(const arrow::DataType& type) {
  return arrow::is_integer(type.id()) || arrow::is_floating(type.id()) || type.id() == arrow::Type::BOOL;
}

// min/max of a row group's column statistics as doubles.
bool StatsMinMax(const parquet::Statistics& stats, double* lo, double* hi) {
  if (!stats.HasMinMax()) return false;
  switch (stats.physical_type()) {
    case parquet::Type::DOUBLE: {
      const auto& s = static_cast<const parquet::DoubleStatistics&>(stats);
      *lo = s.min();
      *hi = s.max();
      return true;
    }
    case parquet::Type::FLOAT: {
      const auto& s = static_cast<const parquet::FloatStatistics&>(stats);
      *lo = s.min();
      *hi = s.max();
      return true;
    }
    case parquet::Type::INT32: {
      const auto& s = static_cast<const parquet::Int32Statistics&>(stats);
      *lo = s.min();
      *hi = s.max();
      return true;
    }
    case parquet::Type::INT64: {
      const auto& s = static_cast<const parquet::Int64Statistics&>(stats);
      *lo = static_cast<double>(s.min());
      *hi = static_cast<double>(s.max());
      return true;
    }
    case parquet::Type::BOOLEAN: {
      const auto& s = static_cast<const parquet::BoolStatistics&>(stats);
      *lo = s.min() ? 1 : 0;
      *hi = s.max() ? 1 : 0;
      return true;
    }
    default:
      return false;
  }
}

// The column of a dotted path inside a table read with only the needed leaves.
arrow::Result<std::shared_ptr<arrow::ChunkedArray>> Column(const arrow::Table& table, const std::string& path) {
  auto parts = SplitPath(path);
  auto column = table.GetColumnByName(parts[0]);
  if (!column) return arrow::Status::IOError("column ", parts[0], " missing from the chunk");
  for (size_t i = 1; i < parts.size(); ++i) {
    arrow::ArrayVector children;
    for (const auto& chunk : column->chunks()) {
      const auto& st = static_cast<const arrow::StructArray&>(*chunk);
      auto child = st.GetFieldByName(parts[i]);
      if (!child) return arrow::Status::IOError("column ", path, " missing from the chunk");
      children.push_back(child);
    }
    ARROW_ASSIGN_OR_RAISE(column, arrow::ChunkedArray::Make(children));
  }
  ARROW_ASSIGN_OR_RAISE(auto as_double, arrow::compute::Cast(column, arrow::float64()));
  return as_double.chunked_array();
}

struct RawRows {
  std::vector<int64_t> ts;
  std::vector<std::vector<double>> values;  // per field; NaN for null
};

}  // namespace

arrow::Status CheckNumericField(const arrow::Schema& schema, const std::string& field) {
  auto parts = SplitPath(field);
  std::shared_ptr<arrow::Field> current = schema.GetFieldByName(parts[0]);
  for (size_t i = 1; current && i < parts.size(); ++i) {
    if (current->type()->id() != arrow::Type::STRUCT) {
      current = nullptr;
      break;
    }
    current = static_cast<const arrow::StructType&>(*current->type()).GetFieldByName(parts[i]);
  }
  if (!current) return arrow::Status::Invalid("field '", field, "': no such field in the topic schema");
  if (!IsNumeric(*current->type())) {
    return arrow::Status::Invalid("field '", field, "': not a numeric leaf (", current->type()->ToString(), ")");
  }
  return arrow::Status::OK();
}

// ------------------------------------------------------------------------------------------------- FooterCache

struct FooterCache::State {
  size_t capacity;
  std::mutex mu;
  std::unordered_map<std::string, std::shared_ptr<parquet::FileMetaData>> entries;
  std::deque<std::string> order;
};

FooterCache::FooterCache(size_t capacity) : state_(std::make_unique<State>()) { state_->capacity = capacity; }
FooterCache::~FooterCache() = default;

arrow::Result<std::shared_ptr<parquet::FileMetaData>> FooterCache::Get(store::ObjectStore& store,
                                                                       const std::string& key) {
  {
    std::lock_guard lock(state_->mu);
    auto it = state_->entries.find(key);
    if (it != state_->entries.end()) return it->second;
  }
  ARROW_ASSIGN_OR_RAISE(auto file, store.OpenRead(key));
  std::shared_ptr<parquet::FileMetaData> metadata;
  try {
    metadata = parquet::ReadMetaData(file);
  } catch (const std::exception& e) {
    return arrow::Status::IOError("chunk ", key, ": cannot read the Parquet footer: ", e.what());
  }
  std::lock_guard lock(state_->mu);
  if (state_->entries.emplace(key, metadata).second) {
    state_->order.push_back(key);
    while (state_->order.size() > state_->capacity) {
      state_->entries.erase(state_->order.front());
      state_->order.pop_front();
    }
  }
  return metadata;
}

// -------------------------------------------------------------------------------------------------- ReadSeries

arrow::Result<SeriesResult> ReadSeries(store::ObjectStore& store, FooterCache& footers,
                                       const arrow::Schema& topic_schema,
                                       const std::vector<catalog::ChunkRecord>& chunks, const SeriesRequest& request) {
  if (request.fields.empty()) return arrow::Status::Invalid("fields: give at least one numeric field");
  if (request.end_ns <= request.start_ns) return arrow::Status::Invalid("window: end must be after start");
  for (const auto& f : request.fields) ARROW_RETURN_NOT_OK(CheckNumericField(topic_schema, f));
  const int width = std::clamp(request.width, 1, 10000);
  TimeWindow window{request.start_ns, request.end_ns};
  auto selected = read::SelectChunks(chunks, window);

  SeriesResult result;
  result.start_ns = request.start_ns;
  result.end_ns = request.end_ns;
  result.chunks = static_cast<int64_t>(selected.size());
  for (const auto& c : selected) {
    const int64_t lo = std::max(c.ts_min, request.start_ns);
    const int64_t hi = std::min(c.ts_max, request.end_ns - 1);
    const double span = static_cast<double>(c.ts_max - c.ts_min) + 1;
    result.rows_estimate += static_cast<int64_t>(c.row_count * ((static_cast<double>(hi - lo) + 1) / span) + 0.5);
  }

  std::vector<MinMaxBuckets> buckets;
  for (size_t i = 0; i < request.fields.size(); ++i) buckets.emplace_back(request.start_ns, request.end_ns, width);
  result.bucket_ns = buckets[0].bucket_ns();

  if (result.rows_estimate > request.raw_row_limit) {
    result.source = "stats";
    for (const auto& c : selected) {
      ARROW_ASSIGN_OR_RAISE(auto md, footers.Get(store, c.object_key));
      ARROW_ASSIGN_OR_RAISE(int ts_leaf, read::TimestampLeafIndex(*md));
      std::vector<int> leaves;
      for (const auto& f : request.fields) leaves.push_back(md->schema()->ColumnIndex(f));
      for (int rg : read::PruneRowGroups(*md, ts_leaf, window)) {
        auto range = read::RowGroupTimestampRange(*md, rg, ts_leaf);
        if (!range) continue;
        auto group = md->RowGroup(rg);
        ++result.row_groups;
        for (size_t i = 0; i < leaves.size(); ++i) {
          if (leaves[i] < 0) continue;
          auto stats = group->ColumnChunk(leaves[i])->statistics();
          double lo = 0, hi = 0;
          if (stats && StatsMinMax(*stats, &lo, &hi)) {
            buckets[i].AddRange(range->first, range->second, lo, hi, group->num_rows());
          }
        }
      }
    }
  } else {
    RawRows rows;
    rows.values.resize(request.fields.size());
    read::ReadOptions options;
    for (const auto& c : selected) {
      ARROW_ASSIGN_OR_RAISE(auto file, read::OpenChunkFile(store, c, options));
      std::vector<int> leaves{file.ts_leaf};
      for (const auto& f : request.fields) {
        int leaf = file.metadata->schema()->ColumnIndex(f);
        if (leaf < 0) return arrow::Status::IOError("chunk ", c.object_key, ": no column ", f);
        if (std::find(leaves.begin(), leaves.end(), leaf) == leaves.end()) leaves.push_back(leaf);
      }
      for (int rg : read::PruneRowGroups(*file.metadata, file.ts_leaf, window)) {
        ++result.row_groups;
        ARROW_ASSIGN_OR_RAISE(auto table, file.reader->ReadRowGroups({rg}, leaves));
        auto ts = table->GetColumnByName(read::kTimestampColumn);
        std::vector<std::shared_ptr<arrow::ChunkedArray>> values;
        for (const auto& f : request.fields) {
          auto col = Column(*table, f);
          if (!col.ok()) return col.status().WithMessage("chunk ", c.object_key, ": ", col.status().message());
          values.push_back(*col);
        }
        // Walk the chunks of the ts column and of each value column in step (all have the same row count).
        int64_t offset = 0;
        for (const auto& ts_chunk : ts->chunks()) {
          const auto& t = static_cast<const arrow::Int64Array&>(*ts_chunk);
          for (int64_t r = 0; r < t.length(); ++r) {
            const int64_t when = t.Value(r);
            if (!window.Contains(when)) continue;
            rows.ts.push_back(when);
            for (size_t i = 0; i < values.size(); ++i) {
              // Locate row offset + r in the value column.
              int64_t pos = offset + r;
              double v = std::numeric_limits<double>::quiet_NaN();
              for (const auto& vc : values[i]->chunks()) {
                if (pos < vc->length()) {
                  const auto& d = static_cast<const arrow::DoubleArray&>(*vc);
                  if (d.IsValid(pos)) v = d.Value(pos);
                  break;
                }
                pos -= vc->length();
              }
              rows.values[i].push_back(v);
            }
          }
          offset += t.length();
        }
      }
    }
    if (static_cast<int64_t>(rows.ts.size()) <= width) {
      result.source = "points";
      std::vector<size_t> order(rows.ts.size());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rows.ts[a] < rows.ts[b]; });
      for (size_t i = 0; i < request.fields.size(); ++i) {
        FieldSeries fs{request.fields[i], {}};
        for (size_t k : order) {
          const double v = rows.values[i][k];
          if (!std::isfinite(v)) continue;
          fs.data.ts.push_back(rows.ts[k]);
          fs.data.min.push_back(v);
          fs.data.max.push_back(v);
          fs.data.rows.push_back(1);
        }
        result.fields.push_back(std::move(fs));
      }
      return result;
    }
    result.source = "raw";
    for (size_t i = 0; i < request.fields.size(); ++i) {
      for (size_t k = 0; k < rows.ts.size(); ++k) buckets[i].Add(rows.ts[k], rows.values[i][k]);
    }
  }
  for (size_t i = 0; i < request.fields.size(); ++i) result.fields.push_back({request.fields[i], buckets[i].Result()});
  return result;
}

}  // namespace mosaico::console
