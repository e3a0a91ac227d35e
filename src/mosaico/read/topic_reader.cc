#include "mosaico/read/topic_reader.h"

#include "mosaico/read/readahead_reader.h"
#include "mosaico/read/sorted_merge_reader.h"

namespace mosaico::read {

arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> OpenTopicReader(std::shared_ptr<store::ObjectStore> store,
                                                                        std::shared_ptr<arrow::Schema> topic_schema,
                                                                        std::vector<catalog::ChunkRecord> chunks,
                                                                        TimeWindow window, ReadOptions opts) {
  ARROW_ASSIGN_OR_RAISE(auto reader, SortedMergeReader::Make(std::move(store), std::move(topic_schema),
                                                             std::move(chunks), window, opts));
  if (opts.readahead_batches > 0) return ReadaheadReader::Make(std::move(reader), opts.readahead_batches);
  return reader;
}

std::optional<ReadStats> GetReadStats(const arrow::RecordBatchReader& reader) {
  if (const auto* readahead = dynamic_cast<const ReadaheadReader*>(&reader)) {
    const arrow::RecordBatchReader* inner = readahead->idle_inner();
    if (!inner) return std::nullopt;
    return GetReadStats(*inner);
  }
  const auto* merge = dynamic_cast<const SortedMergeReader*>(&reader);
  if (!merge) return std::nullopt;
  return merge->stats();
}

}  // namespace mosaico::read
