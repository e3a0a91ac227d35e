#include "mosaico/server/put_stream.h"

#include "mosaico/core/errors.h"
#include "mosaico/server/limits.h"
#include "mosaico/server/service_metrics.h"

namespace mosaico::server {
namespace fl = arrow::flight;

ingest::ChunkWriterOptions UploadWriterOptions(const ServerConfig& config,
                                               std::shared_ptr<ingest::MemoryBudget> budget,
                                               std::shared_ptr<ingest::EncodeExecutor> encoder,
                                               const fl::ServerCallContext& context, const std::string& target) {
  ingest::ChunkWriterOptions options;
  options.target_chunk_bytes = config.chunk_target_bytes;
  options.row_group_rows = config.row_group_rows;
  // Over the memory budget a message waits before it is buffered, and the stream reads nothing more meanwhile
  // (gRPC flow control holds the client). The wait ends with the call (client gone, shutdown) or after the idle
  // limit: no upload sits in the daemon longer than that without progress, whoever is the cause.
  options.memory_budget = std::move(budget);
  options.encoder = std::move(encoder);
  options.memory_wait.cancelled = [&context] { return context.is_cancelled(); };
  if (config.upload_idle_timeout_seconds > 0) {
    options.memory_wait.max_wait = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(config.upload_idle_timeout_seconds));
    options.memory_wait.max_wait_flag = "--upload-idle-timeout-seconds";
  }
  options.memory_wait.what = "upload to '" + target + "'";
  return options;
}

// An error reading the client's FlightData stream. A malformed message (bad flatbuffer, wrong body, unexpected
// message type) is the client's fault: INVALID_ARGUMENT, not the IOError the IPC reader reports; a client that went
// away (or a shutdown) aborts the upload.
arrow::Status StreamReadError(const fl::ServerCallContext& context, const arrow::Status& st, const std::string& target) {
  if (context.is_cancelled()) return Aborted("upload to '" + target + "' was cancelled before the client finished it");
  if (fl::FlightStatusDetail::UnwrapStatus(st)) return st;
  return InvalidArgument("malformed FlightData in the upload to '" + target + "': " + st.message());
}

arrow::Status ReceiveUploadBatches(const fl::ServerCallContext& context, fl::FlightMessageReader* reader,
                                   const ServerConfig& config, const std::string& target, const BatchSink& write) {
  // gRPC gives no way to interrupt a blocked read, so the idle limit is checked when the next message arrives
  // (or the client goes away); an upload that paused too long is aborted, never committed. The pause counts from
  // the end of the previous message's Write: time this daemon spent (waiting for memory, a chunk encode) is not
  // the client's.
  RequestDeadline idle(config.upload_idle_timeout_seconds, "--upload-idle-timeout-seconds");
  while (true) {
    auto next = reader->Next();
    if (!next.ok()) return StreamReadError(context, next.status(), target);
    fl::FlightStreamChunk chunk = *std::move(next);
    if (idle.Expired()) return idle.Exceeded("the pause between two messages of the upload to '" + target + "'");
    if (chunk.app_metadata) {
      ARROW_RETURN_NOT_OK(CheckFieldBytes("app_metadata of a FlightData message", chunk.app_metadata->size(),
                                          config.grpc_max_decode_message_size, "--max-message-mb"));
    }
    if (!chunk.data) {
      if (chunk.app_metadata) {  // metadata-only message: nothing to store
        idle.Restart();
        continue;
      }
      break;
    }
    ARROW_RETURN_NOT_OK(CheckBatchBytes(*chunk.data, config.grpc_max_decode_message_size, target));
    // The IPC reader trusts the declared offsets and lengths: a hostile message could make later code read out of
    // bounds. Full validation (buffer sizes, offsets, UTF-8, dictionary indices) before anything touches the rows.
    if (auto valid = chunk.data->ValidateFull(); !valid.ok()) {
      return InvalidArgument("malformed record batch in the upload to '" + target + "': " + valid.message());
    }
    ARROW_RETURN_NOT_OK(write(chunk.data));
    CountReceived(*chunk.data);
    idle.Restart();
  }
  // A client that vanishes (or a shutdown that cancels the call) also ends the message stream; only a stream the
  // client closed itself is a complete upload.
  if (context.is_cancelled()) return Aborted("upload to '" + target + "' was cancelled before the client finished it");
  return arrow::Status::OK();
}

}  // namespace mosaico::server
