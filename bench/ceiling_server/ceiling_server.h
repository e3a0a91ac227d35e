// CeilingServer: the "what the hardware allows" reference servers of bench/flight_throughput.py (issue 12): a Flight
// server that does only the transport, or the transport plus mosaicod's Parquet chunk writing/reading, and nothing
// of mosaicod's own logic, so that mosaicod's figures divided by these show what our logic costs.
//
// Contract (one server, one port; the mode is chosen per stream by the descriptor command / ticket "<mode>/<name>",
// <name> of [A-Za-z0-9_.-]):
//  - DoPut "null/<name>": reads every batch of the stream and keeps it in memory under <name> (replacing an earlier
//    one); nothing else. DoGet "null/<name>": streams those batches back as they are and forgets them.
//  - DoPut "parquet/<name>": reads the batches and writes them as Parquet chunks
//    <data-dir>/<name>.<k>/chunk-<n>.parquet (k counts the server's parquet uploads) exactly as mosaicod's
//    ingest::ChunkWriter does, minus everything else it does:
//      same: chunks rolled once the buffered batches reach `target_chunk_bytes` of Arrow buffer bytes, one
//        arrow::Table per chunk written with parquet::arrow::FileWriter::WriteTable(table, row_group_rows), writer
//        properties from ingest/chunk_parquet.h (ChunkWriterProperties, ChunkArrowWriterProperties) at the
//        daemon's zstd level and row group size (ingest::ChunkWriterOptions' defaults; the level was 3 before
//        2026-12-07 06:30 against the daemon's 1), with ChunkWriter's per-chunk codec choice (chunk_codec.h) and
//        its null-free fields stored required (chunk_nullability.h, since 2026-12-07 12:00), a
//        kChunkWriteBufferBytes BufferedOutputStream over store::ObjectStore::OpenWrite (local directory: the file
//        is fsynced when closed), the encode of a full chunk on a background thread while the next one fills (at
//        most one in flight), and before the DoPut returns one fsync of the upload's directory (mosaicod's commit
//        gets the same from its upload manifest's PutAtomic);
//      not done: catalog, manifests, lifecycle checks, schema validation, memory budget, timestamp sort check and
//        sort, min/max and column statistics, checksum, the utf8 -> utf8_view Flight form on reads.
//    Every upload writes new files and earlier uploads stay on disk, as mosaicod keeps every upload: overwriting
//    (or deleting) the previous files would hand the next upload the page cache they free, which fresh files do
//    not get (on the development VM, first-touch page cache made the copy into it ~10x dearer: bench/README.md
//    Figures 2026-12-07 06:00). A stream named like an earlier one replaces it for DoGet.
//  - DoGet "parquet/<name>" (the read ceiling): streams the chunks of <name> in index order, each opened with
//    mosaicod's read::OpenChunkFile and decoded one row group at a time with the batch size mosaicod's
//    read::ChunkCursor uses (max_decode_rows, fewer for wide rows so one batch stays near max_batch_bytes); the
//    decoded batches go to the wire as they are (no merge, no re-batching, no window, no schema conforming: fields
//    a chunk stores required go out non-nullable, where mosaicod sends the topic's nullable schema). The stream's
//    schema is the first chunk's: flight_throughput.py's columns hold nulls in every chunk or in none, so all chunks
//    of an upload store the same schema (chunks that differ would fail the stream's schema check).
//  - Errors are returned to the client as Flight errors; the server keeps serving. Uploads of different names may
//    run concurrently. flight_throughput.py starts one process per mode, so that each has its own peak RSS.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <arrow/flight/server.h>
#include <arrow/record_batch.h>

#include "mosaico/ingest/chunk_writer.h"
#include "mosaico/store/object_store.h"

namespace mosaico::bench {

struct CeilingOptions {
  std::string data_dir;                    // where "parquet" uploads go (created if missing)
  int64_t target_chunk_bytes = 64 << 20;   // mosaicod's --chunk-size-mb
  int64_t row_group_rows = ingest::ChunkWriterOptions{}.row_group_rows;
  int zstd_level = ingest::ChunkWriterOptions{}.zstd_level;
  int64_t max_batch_bytes = 4 << 20;       // mosaicod's DoGet read::ReadOptions::max_batch_bytes (server_config.h)
  int64_t max_decode_rows = 65536;         // read::ReadOptions::max_decode_rows
};

class CeilingServer : public arrow::flight::FlightServerBase {
 public:
  static arrow::Result<std::unique_ptr<CeilingServer>> Make(CeilingOptions options);

  arrow::Status DoPut(const arrow::flight::ServerCallContext& context,
                      std::unique_ptr<arrow::flight::FlightMessageReader> reader,
                      std::unique_ptr<arrow::flight::FlightMetadataWriter> writer) override;
  arrow::Status DoGet(const arrow::flight::ServerCallContext& context, const arrow::flight::Ticket& request,
                      std::unique_ptr<arrow::flight::FlightDataStream>* stream) override;

 private:
  CeilingServer(CeilingOptions options, std::shared_ptr<store::ObjectStore> store)
      : options_(std::move(options)), store_(std::move(store)) {}

  arrow::Status PutParquet(const std::string& target_name, arrow::flight::FlightMessageReader& reader);
  arrow::Status WriteChunk(const std::shared_ptr<arrow::Table>& table, const std::string& key) const;

  struct Held {
    std::shared_ptr<arrow::Schema> schema;
    std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  };

  CeilingOptions options_;
  std::shared_ptr<store::ObjectStore> store_;
  std::mutex mu_;
  std::map<std::string, Held> held_;  // "null" uploads
  std::map<std::string, std::string> parquet_dirs_;  // "parquet" upload name -> directory of its latest upload
  int64_t parquet_uploads_ = 0;
};

}  // namespace mosaico::bench
