#include "mosaico/read/chunk_file.h"

#include "mosaico/core/errors.h"
#include "mosaico/read/read_plan.h"

namespace mosaico::read {
namespace {

arrow::Result<ChunkFile> Open(store::ObjectStore& store, const catalog::ChunkRecord& chunk,
                              const ReadOptions& options) {
  ARROW_ASSIGN_OR_RAISE(auto file, store.OpenRead(chunk.object_key));
  parquet::ArrowReaderProperties props(options.use_threads);
  props.set_batch_size(options.max_decode_rows);
  parquet::arrow::FileReaderBuilder builder;
  ARROW_RETURN_NOT_OK(builder.Open(std::move(file)));
  builder.memory_pool(options.pool)->properties(props);
  ChunkFile out;
  ARROW_ASSIGN_OR_RAISE(out.reader, builder.Build());
  out.metadata = out.reader->parquet_reader()->metadata();
  ARROW_ASSIGN_OR_RAISE(out.ts_leaf, TimestampLeafIndex(*out.metadata));
  return out;
}

}  // namespace

arrow::Result<ChunkFile> OpenChunkFile(store::ObjectStore& store, const catalog::ChunkRecord& chunk,
                                       const ReadOptions& options) {
  auto result = Open(store, chunk, options);
  if (!result.ok()) return WithContext(result.status(), "chunk '" + chunk.object_key + "'");
  return result;
}

}  // namespace mosaico::read
