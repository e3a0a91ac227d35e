#include "ceiling_server.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <future>
#include <utility>

#include <arrow/api.h>
#include <arrow/io/buffered.h>
#include <arrow/util/byte_size.h>
#include <parquet/arrow/writer.h>

#include "mosaico/ingest/chunk_codec.h"
#include "mosaico/ingest/chunk_nullability.h"
#include "mosaico/ingest/chunk_parquet.h"
#include "mosaico/read/chunk_file.h"

namespace mosaico::bench {
namespace fl = arrow::flight;
namespace {

struct Target {
  std::string mode;
  std::string name;
};

arrow::Result<Target> ParseTarget(const std::string& text) {
  const auto slash = text.find('/');
  Target t;
  if (slash != std::string::npos) {
    t.mode = text.substr(0, slash);
    t.name = text.substr(slash + 1);
  }
  const bool name_ok = !t.name.empty() && t.name != "." && t.name != ".." &&
                       std::all_of(t.name.begin(), t.name.end(), [](unsigned char c) {
                         return std::isalnum(c) || c == '_' || c == '-' || c == '.';
                       });
  if ((t.mode != "null" && t.mode != "parquet") || !name_ok) {
    return arrow::Status::Invalid("expected \"null/<name>\" or \"parquet/<name>\", got \"", text, "\"");
  }
  return t;
}

std::string ChunkKey(const std::string& name, int index) {
  char file[32];
  std::snprintf(file, sizeof(file), "chunk-%06d.parquet", index);
  return name + "/" + file;
}

arrow::Status SyncDirectory(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return arrow::Status::IOError("cannot open directory ", path);
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? arrow::Status::OK() : arrow::Status::IOError("fsync failed for ", path);
}

// The read ceiling: the chunks of one upload, in order, decoded row group by row group as mosaicod's ChunkCursor
// decodes them, emitted as decoded.
class ChunkFilesReader : public arrow::RecordBatchReader {
 public:
  ChunkFilesReader(std::shared_ptr<store::ObjectStore> store, std::vector<std::string> keys,
                   const CeilingOptions& options)
      : store_(std::move(store)), keys_(std::move(keys)) {
    read_options_.max_batch_bytes = options.max_batch_bytes;
    read_options_.max_decode_rows = options.max_decode_rows;
  }

  // Opens the first chunk: its stored Arrow schema is the stream's.
  arrow::Status Init() {
    ARROW_RETURN_NOT_OK(OpenNextChunk());
    return file_.reader->GetSchema(&schema_);
  }

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override {
    while (true) {
      if (row_group_reader_) {
        ARROW_RETURN_NOT_OK(row_group_reader_->ReadNext(batch));
        if (*batch) return arrow::Status::OK();
        row_group_reader_.reset();
      }
      if (file_.reader && next_row_group_ < file_.metadata->num_row_groups()) {
        const int rg = next_row_group_++;
        auto meta = file_.metadata->RowGroup(rg);
        const int64_t row_bytes =
            std::max<int64_t>(1, meta->total_byte_size() / std::max<int64_t>(1, meta->num_rows()));
        file_.reader->set_batch_size(
            std::clamp<int64_t>(read_options_.max_batch_bytes / row_bytes, 1, read_options_.max_decode_rows));
        ARROW_ASSIGN_OR_RAISE(row_group_reader_, file_.reader->GetRecordBatchReader({rg}));
        continue;
      }
      if (next_key_ == keys_.size()) {
        file_ = read::ChunkFile{};
        *batch = nullptr;
        return arrow::Status::OK();
      }
      ARROW_RETURN_NOT_OK(OpenNextChunk());
    }
  }

 private:
  arrow::Status OpenNextChunk() {
    catalog::ChunkRecord chunk;
    chunk.object_key = keys_[next_key_++];
    row_group_reader_.reset();
    ARROW_ASSIGN_OR_RAISE(file_, read::OpenChunkFile(*store_, chunk, read_options_));
    next_row_group_ = 0;
    return arrow::Status::OK();
  }

  std::shared_ptr<store::ObjectStore> store_;
  std::vector<std::string> keys_;
  read::ReadOptions read_options_;
  std::shared_ptr<arrow::Schema> schema_;
  size_t next_key_ = 0;
  read::ChunkFile file_;
  int next_row_group_ = 0;
  std::unique_ptr<arrow::RecordBatchReader> row_group_reader_;
};

}  // namespace

arrow::Result<std::unique_ptr<CeilingServer>> CeilingServer::Make(CeilingOptions options) {
  ARROW_ASSIGN_OR_RAISE(auto store, store::ObjectStore::Open(options.data_dir));
  return std::unique_ptr<CeilingServer>(new CeilingServer(std::move(options), std::move(store)));
}

arrow::Status CeilingServer::DoPut(const fl::ServerCallContext&, std::unique_ptr<fl::FlightMessageReader> reader,
                                   std::unique_ptr<fl::FlightMetadataWriter>) {
  ARROW_ASSIGN_OR_RAISE(auto target, ParseTarget(reader->descriptor().cmd));
  if (target.mode == "parquet") return PutParquet(target.name, *reader);
  Held held;
  ARROW_ASSIGN_OR_RAISE(held.schema, reader->GetSchema());
  while (true) {
    ARROW_ASSIGN_OR_RAISE(auto chunk, reader->Next());
    if (!chunk.data) break;
    held.batches.push_back(std::move(chunk.data));
  }
  std::lock_guard<std::mutex> lock(mu_);
  held_[target.name] = std::move(held);
  return arrow::Status::OK();
}

arrow::Status CeilingServer::PutParquet(const std::string& target_name, fl::FlightMessageReader& reader) {
  std::string name;  // a new directory per upload: never the page cache of a previous upload's files
  {
    std::lock_guard<std::mutex> lock(mu_);
    name = target_name + "." + std::to_string(parquet_uploads_++);
  }
  ARROW_ASSIGN_OR_RAISE(auto schema, reader.GetSchema());
  std::vector<std::shared_ptr<arrow::RecordBatch>> buffered;
  int64_t buffered_bytes = 0;
  int index = 0;
  std::future<arrow::Status> in_flight;
  auto await = [&]() -> arrow::Status { return in_flight.valid() ? in_flight.get() : arrow::Status::OK(); };
  auto flush = [&]() -> arrow::Status {
    if (buffered.empty()) return arrow::Status::OK();
    ARROW_RETURN_NOT_OK(await());  // at most one chunk encodes while the next one fills
    ARROW_ASSIGN_OR_RAISE(auto table, arrow::Table::FromRecordBatches(schema, buffered));
    buffered.clear();
    buffered_bytes = 0;
    in_flight = std::async(std::launch::async,
                           [this, table = std::move(table), key = ChunkKey(name, index++)] { return WriteChunk(table, key); });
    return arrow::Status::OK();
  };
  arrow::Status st = [&]() -> arrow::Status {
    while (true) {
      ARROW_ASSIGN_OR_RAISE(auto chunk, reader.Next());
      if (!chunk.data) break;
      if (chunk.data->num_rows() == 0) continue;
      buffered_bytes += arrow::util::TotalBufferSize(*chunk.data);
      buffered.push_back(std::move(chunk.data));
      if (buffered_bytes >= options_.target_chunk_bytes) ARROW_RETURN_NOT_OK(flush());
    }
    return flush();
  }();
  arrow::Status last = await();
  ARROW_RETURN_NOT_OK(st);
  ARROW_RETURN_NOT_OK(last);
  if (index > 0) ARROW_RETURN_NOT_OK(SyncDirectory(store_->root() + "/" + name));
  std::lock_guard<std::mutex> lock(mu_);
  parquet_dirs_[target_name] = name;
  return arrow::Status::OK();
}

arrow::Status CeilingServer::WriteChunk(const std::shared_ptr<arrow::Table>& input, const std::string& key) const {
  // Null-free fields stored required, as mosaicod stores them (ingest/chunk_nullability.h): the same files.
  ARROW_ASSIGN_OR_RAISE(auto table, ingest::RequireNullFreeFields(input));
  ARROW_ASSIGN_OR_RAISE(auto raw, store_->OpenWrite(key));
  auto pool = arrow::default_memory_pool();
  ARROW_ASSIGN_OR_RAISE(auto sink, arrow::io::BufferedOutputStream::Create(ingest::kChunkWriteBufferBytes, pool, raw));
  auto arrow_properties = ingest::ChunkArrowWriterProperties();
  // mosaicod's per-chunk codec choice (ingest/chunk_codec.h: blob and float columns that zstd does not shrink
  // enough are stored uncompressed, such floats PLAIN; float columns LZ4 shrinks about as well as zstd are LZ4): it
  // changes the files, so the read ceiling decodes what mosaicod's reads decode.
  ARROW_ASSIGN_OR_RAISE(auto codecs, ingest::ChooseChunkCodecs(*table, options_.zstd_level));
  ARROW_ASSIGN_OR_RAISE(auto properties,
                        ingest::ChunkWriterProperties(*table->schema(), options_.zstd_level, options_.row_group_rows,
                                                      arrow_properties, ingest::ColumnCodecs(codecs)));
  ARROW_ASSIGN_OR_RAISE(auto writer,
                        parquet::arrow::FileWriter::Open(*table->schema(), pool, sink, properties, arrow_properties));
  ARROW_RETURN_NOT_OK(writer->WriteTable(*table, options_.row_group_rows));
  ARROW_RETURN_NOT_OK(writer->Close());
  return sink->Close();  // no-op when the Parquet writer already closed it; the store's stream fsyncs on close
}

arrow::Status CeilingServer::DoGet(const fl::ServerCallContext&, const fl::Ticket& request,
                                   std::unique_ptr<fl::FlightDataStream>* stream) {
  ARROW_ASSIGN_OR_RAISE(auto target, ParseTarget(request.ticket));
  if (target.mode == "null") {
    Held held;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = held_.find(target.name);
      if (it == held_.end()) return arrow::Status::KeyError("no null upload named ", target.name);
      held = std::move(it->second);
      held_.erase(it);
    }
    ARROW_ASSIGN_OR_RAISE(auto reader, arrow::RecordBatchReader::Make(std::move(held.batches), held.schema));
    *stream = std::make_unique<fl::RecordBatchStream>(std::move(reader));
    return arrow::Status::OK();
  }
  std::string dir;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = parquet_dirs_.find(target.name);
    if (it == parquet_dirs_.end()) return arrow::Status::KeyError("no parquet upload named ", target.name);
    dir = it->second;
  }
  ARROW_ASSIGN_OR_RAISE(auto keys, store_->List(dir));  // sorted: chunk-000000, chunk-000001, ...
  if (keys.empty()) return arrow::Status::KeyError("no parquet upload named ", target.name);
  auto reader = std::make_shared<ChunkFilesReader>(store_, std::move(keys), options_);
  ARROW_RETURN_NOT_OK(reader->Init());
  *stream = std::make_unique<fl::RecordBatchStream>(std::move(reader));
  return arrow::Status::OK();
}

}  // namespace mosaico::bench
