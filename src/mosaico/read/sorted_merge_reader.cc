#include "mosaico/read/sorted_merge_reader.h"

#include <algorithm>
#include <numeric>

#include "mosaico/read/read_plan.h"

namespace mosaico::read {
namespace {

// Merge order of two cursors: by head timestamp, ties by ordinal (upload order).
bool Before(const ChunkCursor* a, const ChunkCursor* b) {
  return a->head() < b->head() || (a->head() == b->head() && a->ordinal() < b->ordinal());
}

}  // namespace

// --- CursorHeap ---

ChunkCursor* SortedMergeReader::CursorHeap::second() const {
  if (heap_.size() < 2) return nullptr;
  if (heap_.size() == 2) return heap_[1];
  return Before(heap_[2], heap_[1]) ? heap_[2] : heap_[1];
}

void SortedMergeReader::CursorHeap::Push(ChunkCursor* c) {
  heap_.push_back(c);
  for (size_t i = heap_.size() - 1; i > 0;) {
    const size_t parent = (i - 1) / 2;
    if (!Before(heap_[i], heap_[parent])) break;
    std::swap(heap_[i], heap_[parent]);
    i = parent;
  }
}

void SortedMergeReader::CursorHeap::Pop() {
  heap_.front() = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) SiftDown(0);
}

void SortedMergeReader::CursorHeap::TopChanged() { SiftDown(0); }

void SortedMergeReader::CursorHeap::SiftDown(size_t i) {
  const size_t n = heap_.size();
  while (true) {
    size_t smallest = i;
    const size_t l = 2 * i + 1, r = 2 * i + 2;
    if (l < n && Before(heap_[l], heap_[smallest])) smallest = l;
    if (r < n && Before(heap_[r], heap_[smallest])) smallest = r;
    if (smallest == i) return;
    std::swap(heap_[i], heap_[smallest]);
    i = smallest;
  }
}

// --- SortedMergeReader ---

arrow::Result<std::shared_ptr<SortedMergeReader>> SortedMergeReader::Make(
    std::shared_ptr<store::ObjectStore> store, std::shared_ptr<arrow::Schema> topic_schema,
    std::vector<catalog::ChunkRecord> chunks, TimeWindow window, ReadOptions options) {
  ARROW_RETURN_NOT_OK(window.Validate());
  if (!store || !topic_schema) return arrow::Status::Invalid("SortedMergeReader needs a store and a topic schema");
  if (options.max_batch_rows < 1 || options.max_batch_bytes < 1 || options.max_decode_rows < 1) {
    return arrow::Status::Invalid("read options: batch limits must be positive");
  }
  ReadContext ctx;
  ARROW_ASSIGN_OR_RAISE(ctx.ts_field, TimestampFieldIndex(*topic_schema));
  ctx.store = std::move(store);
  ctx.topic_schema = std::move(topic_schema);
  ctx.window = window;
  ctx.options = options;
  return std::make_shared<SortedMergeReader>(std::move(ctx), SelectChunks(chunks, window));
}

SortedMergeReader::SortedMergeReader(ReadContext ctx, std::vector<catalog::ChunkRecord> selected)
    : ctx_(std::move(ctx)), assembler_(ctx_.topic_schema, ctx_.options.pool) {
  ctx_.stats = &stats_;
  stats_.chunks_selected = static_cast<int64_t>(selected.size());
  // Tie-break ordinal = rank in upload order (index, then position), whatever the ts_min order is.
  std::vector<size_t> by_upload(selected.size());
  std::iota(by_upload.begin(), by_upload.end(), 0);
  std::stable_sort(by_upload.begin(), by_upload.end(),
                   [&](size_t a, size_t b) { return selected[a].index < selected[b].index; });
  std::vector<int> ordinal(selected.size());
  for (size_t rank = 0; rank < by_upload.size(); ++rank) ordinal[by_upload[rank]] = static_cast<int>(rank);
  cursors_.reserve(selected.size());
  for (size_t i = 0; i < selected.size(); ++i) {
    cursors_.push_back(std::make_unique<ChunkCursor>(std::move(selected[i]), ordinal[i], &ctx_));
  }
  // Open in merge order of their first possible key, (max(ts_min, window start), ordinal), so that the next
  // chunk to open is always the smallest key among the unopened ones: it bounds every run.
  std::stable_sort(cursors_.begin(), cursors_.end(),
                   [](const auto& a, const auto& b) { return Before(a.get(), b.get()); });
}

arrow::Status SortedMergeReader::ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) {
  batch->reset();
  if (!error_.ok()) return error_;
  if (closed_) return arrow::Status::OK();
  error_ = Next(batch);
  if (!error_.ok()) {
    batch->reset();
    (void)Close();
  }
  return error_;
}

arrow::Status SortedMergeReader::Next(std::shared_ptr<arrow::RecordBatch>* batch) {
  const ReadOptions& options = ctx_.options;
  while (true) {
    ARROW_RETURN_NOT_OK(OpenDueChunks());
    if (heap_.empty()) break;
    if (assembler_.rows() >= options.max_batch_rows) break;
    if (assembler_.rows() > 0 && assembler_.bytes() + heap_.top()->bytes_per_row() > options.max_batch_bytes) break;
    ARROW_ASSIGN_OR_RAISE(bool appended, AppendRun(heap_.top()));
    if (!appended) break;
  }
  if (assembler_.rows() == 0) return Close();  // end of stream
  ARROW_ASSIGN_OR_RAISE(*batch, assembler_.Finish());
  stats_.rows_emitted += (*batch)->num_rows();
  ++stats_.batches_emitted;
  return arrow::Status::OK();
}

// Opens, in key order, every chunk whose first possible key the frontier (smallest open head) has reached;
// when nothing is open the next chunk is opened anyway. A chunk with no row in the window closes itself.
arrow::Status SortedMergeReader::OpenDueChunks() {
  while (next_to_open_ < cursors_.size()) {
    ChunkCursor* next = cursors_[next_to_open_].get();
    if (!heap_.empty() && Before(heap_.top(), next)) break;
    ++next_to_open_;
    ARROW_RETURN_NOT_OK(next->Open());
    if (next->done()) continue;
    heap_.Push(next);
    stats_.max_open_chunks = std::max<int64_t>(stats_.max_open_chunks, static_cast<int64_t>(heap_.size()));
  }
  return arrow::Status::OK();
}

// Appends to the output the longest run of `top` (the smallest head) that stays before every other cursor,
// open or not yet opened, capped by the room left in the output batch. Returns false, appending nothing, when
// the run does not fit in what is left but would fit in an empty batch: emitting the current batch first
// keeps the run whole, so it leaves as a zero-copy slice instead of being split and copied.
arrow::Result<bool> SortedMergeReader::AppendRun(ChunkCursor* top) {
  const ReadOptions& options = ctx_.options;
  const ChunkCursor* bound = heap_.second();
  if (next_to_open_ < cursors_.size()) {
    const ChunkCursor* pending = cursors_[next_to_open_].get();
    if (!bound || Before(pending, bound)) bound = pending;
  }
  int64_t n = bound ? top->CountUpTo(bound->head(), top->ordinal() < bound->ordinal()) : top->available();
  const int64_t row_bytes = top->bytes_per_row();
  const int64_t byte_room = std::max<int64_t>(1, (options.max_batch_bytes - assembler_.bytes()) / row_bytes);
  const int64_t room = std::min(options.max_batch_rows - assembler_.rows(), byte_room);
  if (n > room && assembler_.rows() > 0 && n <= options.max_batch_rows && n * row_bytes <= options.max_batch_bytes) {
    return false;
  }
  n = std::min(n, room);

  // Runs are sorted inside (ChunkCursor checks); between runs, order holds as long as every chunk's rows
  // really start at or after its ts_min. Refuse to emit out of order if the catalog says otherwise.
  const int64_t first = top->position();
  if (has_last_emitted_ && top->head() < last_emitted_) {
    return arrow::Status::IOError("corrupt catalog: chunk '", top->chunk().object_key, "' holds timestamp_ns ",
                                  top->head(), " below its recorded ts_min ", top->chunk().ts_min);
  }
  has_last_emitted_ = true;
  last_emitted_ = top->timestamp(first + n - 1);
  assembler_.Append(top->batch(), first, n, n * row_bytes);
  ARROW_RETURN_NOT_OK(top->Advance(n));
  if (top->done()) {
    heap_.Pop();
  } else {
    heap_.TopChanged();
  }
  return true;
}

arrow::Status SortedMergeReader::Close() {
  closed_ = true;
  heap_.Clear();
  cursors_.clear();
  next_to_open_ = 0;
  return arrow::Status::OK();
}

}  // namespace mosaico::read
