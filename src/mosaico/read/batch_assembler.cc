#include "mosaico/read/batch_assembler.h"

#include <mutex>
#include <unordered_map>

#include <arrow/builder.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/initialize.h>

namespace mosaico::read {
namespace {

// Below this average run length, slicing every run costs more than gathering rows with one Take.
constexpr int64_t kMinAverageRunForSlices = 64;
constexpr size_t kMaxRunsForSlices = 16;

// Arrow >= 21 registers the compute kernels (Take) on request only.
arrow::Status InitializeCompute() {
  static std::once_flag once;
  static arrow::Status status;
  std::call_once(once, [] { status = arrow::compute::Initialize(); });
  return status;
}

}  // namespace

BatchAssembler::BatchAssembler(std::shared_ptr<arrow::Schema> schema, arrow::MemoryPool* pool)
    : schema_(std::move(schema)), pool_(pool) {}

void BatchAssembler::Append(const std::shared_ptr<arrow::RecordBatch>& source, int64_t offset, int64_t length,
                            int64_t bytes) {
  rows_ += length;
  bytes_ += bytes;
  if (!runs_.empty()) {
    Run& last = runs_.back();
    if (last.source == source && last.offset + last.length == offset) {
      last.length += length;
      return;
    }
  }
  runs_.push_back(Run{source, offset, length});
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> BatchAssembler::Finish() {
  if (rows_ == 0) return arrow::Status::Invalid("BatchAssembler::Finish with no rows");
  std::shared_ptr<arrow::RecordBatch> out;
  if (runs_.size() == 1) {
    out = runs_[0].source->Slice(runs_[0].offset, runs_[0].length);
  } else if (runs_.size() <= kMaxRunsForSlices ||
             rows_ >= kMinAverageRunForSlices * static_cast<int64_t>(runs_.size())) {
    ARROW_ASSIGN_OR_RAISE(out, ConcatenateRuns());
  } else {
    ARROW_ASSIGN_OR_RAISE(out, GatherRuns());
  }
  runs_.clear();
  rows_ = 0;
  bytes_ = 0;
  return WithSchema(std::move(out));
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> BatchAssembler::ConcatenateRuns() const {
  arrow::RecordBatchVector slices;
  slices.reserve(runs_.size());
  for (const Run& run : runs_) slices.push_back(run.source->Slice(run.offset, run.length));
  return arrow::ConcatenateRecordBatches(slices, pool_);
}

// Each source contributes one contiguous range (its runs come in row order); concatenate those ranges once,
// then put the rows in output order with a single Take.
arrow::Result<std::shared_ptr<arrow::RecordBatch>> BatchAssembler::GatherRuns() const {
  ARROW_RETURN_NOT_OK(InitializeCompute());
  struct Segment {
    int64_t first;  // first source row used
    int64_t end;    // one past the last source row used
    int64_t base;   // where the segment starts in the concatenation
  };
  std::unordered_map<const arrow::RecordBatch*, size_t> segment_of;
  std::vector<Segment> segments;
  std::vector<const Run*> segment_source;
  for (const Run& run : runs_) {
    auto [it, inserted] = segment_of.try_emplace(run.source.get(), segments.size());
    if (inserted) {
      segments.push_back(Segment{run.offset, run.offset + run.length, 0});
      segment_source.push_back(&run);
    } else {
      segments[it->second].end = run.offset + run.length;
    }
  }
  arrow::RecordBatchVector parts;
  int64_t base = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    segments[i].base = base;
    base += segments[i].end - segments[i].first;
    parts.push_back(segment_source[i]->source->Slice(segments[i].first, segments[i].end - segments[i].first));
  }
  ARROW_ASSIGN_OR_RAISE(auto gathered, arrow::ConcatenateRecordBatches(parts, pool_));

  arrow::Int64Builder indices(pool_);
  ARROW_RETURN_NOT_OK(indices.Reserve(rows_));
  for (const Run& run : runs_) {
    const Segment& s = segments[segment_of[run.source.get()]];
    const int64_t start = s.base + (run.offset - s.first);
    for (int64_t i = 0; i < run.length; ++i) indices.UnsafeAppend(start + i);
  }
  ARROW_ASSIGN_OR_RAISE(auto index_array, indices.Finish());
  arrow::compute::ExecContext ctx(pool_);
  ARROW_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(gathered, index_array,
                                                         arrow::compute::TakeOptions::NoBoundsCheck(), &ctx));
  return taken.record_batch();
}

std::shared_ptr<arrow::RecordBatch> BatchAssembler::WithSchema(std::shared_ptr<arrow::RecordBatch> batch) const {
  if (batch->schema() == schema_) return batch;
  return arrow::RecordBatch::Make(schema_, batch->num_rows(), batch->column_data());
}

}  // namespace mosaico::read
