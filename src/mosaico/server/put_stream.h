// The message side of a DoPut, shared by the unstriped upload (flight_service.cc) and the stripes of a striped one
// (striped_put.h).
//
//  - UploadWriterOptions: the ChunkWriter options of one stream: chunk size, row groups, the daemon's ingest memory
//    budget and encoder, a memory wait that ends with the call or after --upload-idle-timeout-seconds.
//  - StreamReadError: a failed read of the client's FlightData stream as the client should see it -- ABORTED when
//    the call was cancelled (client gone, shutdown), a Flight status as is, anything else INVALID_ARGUMENT
//    ("malformed FlightData").
//  - ReceiveUploadBatches: reads the stream to its end, checking each message (app_metadata and batch sizes,
//    ValidateFull, the idle limit between messages) and handing every record batch to `write`; metadata-only
//    messages are skipped. Returns OK only for a stream the client closed itself (a cancelled call is ABORTED);
//    the first error of a check, a read or `write` ends it.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <arrow/flight/server.h>
#include <arrow/record_batch.h>
#include <arrow/status.h>

#include "mosaico/ingest/chunk_writer.h"
#include "mosaico/server/server_config.h"

namespace mosaico::server {

ingest::ChunkWriterOptions UploadWriterOptions(const ServerConfig& config,
                                               std::shared_ptr<ingest::MemoryBudget> budget,
                                               std::shared_ptr<ingest::EncodeExecutor> encoder,
                                               const arrow::flight::ServerCallContext& context,
                                               const std::string& target);

arrow::Status StreamReadError(const arrow::flight::ServerCallContext& context, const arrow::Status& st,
                              const std::string& target);

using BatchSink = std::function<arrow::Status(const std::shared_ptr<arrow::RecordBatch>&)>;
arrow::Status ReceiveUploadBatches(const arrow::flight::ServerCallContext& context,
                                   arrow::flight::FlightMessageReader* reader, const ServerConfig& config,
                                   const std::string& target, const BatchSink& write);

}  // namespace mosaico::server
