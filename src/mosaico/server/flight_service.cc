#include "mosaico/server/flight_service.h"

#include <algorithm>
#include <thread>

#include <arrow/buffer.h>
#include <spdlog/spdlog.h>

#include "mosaico/core/errors.h"
#include "mosaico/core/json_writer.h"
#include "mosaico/ingest/topic_upload.h"
#include "mosaico/read/malloc_pool.h"
#include "mosaico/read/topic_reader.h"
#include "mosaico/server/auth_middleware.h"
#include "mosaico/server/flight_requests.h"
#include "mosaico/server/flight_schema.h"
#include "mosaico/server/logged_reader.h"
#include "mosaico/server/process_memory.h"
#include "mosaico/server/put_stream.h"
#include "mosaico/server/sequence_listing.h"
#include "mosaico/server/service_metrics.h"
#include "mosaico/server/status_mapping.h"
#include "mosaico/server/striped_put.h"

namespace mosaico::server {
namespace fl = arrow::flight;

namespace {

// Logs the outcome of one RPC and converts the status for the wire.
arrow::Status Finish(const char* rpc, const std::string& target, const arrow::Status& st) {
  if (st.ok()) {
    spdlog::debug("rpc={} target={} status=ok", rpc, target);
    return st;
  }
  arrow::Status wire = ToFlightStatus(st);
  const bool client_error = st.IsInvalid() || st.IsKeyError() || st.IsAlreadyExists() || st.IsCancelled();
  if (st.IsKeyError() && std::string_view(rpc) == "GetFlightInfo") {
    // The SDK asks GetFlightInfo whether a name exists before it creates it: NOT_FOUND there is the usual answer.
    spdlog::debug("rpc={} target={} status=\"{}\"", rpc, target, st.ToString());
  } else if (client_error) {
    spdlog::warn("rpc={} target={} status=\"{}\"", rpc, target, st.ToString());
  } else {
    spdlog::error("rpc={} target={} status=\"{}\"", rpc, target, st.ToString());
  }
  return wire;
}

std::string DescribeDescriptor(const fl::FlightDescriptor& d) {
  if (d.type == fl::FlightDescriptor::CMD) return d.cmd.substr(0, 300);
  std::string out;
  for (const auto& p : d.path) out += (out.empty() ? "" : "/") + p;
  return out;
}

// Descriptor commands and paths are client input decoded as JSON / locators: cap their size first.
arrow::Status CheckDescriptorBytes(const fl::FlightDescriptor& d, int64_t limit) {
  int64_t bytes = static_cast<int64_t>(d.cmd.size());
  for (const auto& p : d.path) bytes += static_cast<int64_t>(p.size());
  return CheckFieldBytes("the flight descriptor", bytes, limit, "--max-action-body-bytes");
}

}  // namespace

MosaicoFlightService::MosaicoFlightService(ServerConfig config, std::shared_ptr<lifecycle::Lifecycle> lifecycle)
    : config_(std::move(config)),
      lifecycle_(std::move(lifecycle)),
      info_builder_(lifecycle_->catalog(), lifecycle_->store()),
      actions_(DefaultActionRegistry()),
      stream_slots_(config_.max_concurrent_streams) {
  info_builder_.set_row_group_rows(config_.row_group_rows);  // striped GetFlightInfo (read/topic_stripes.h)
  const int64_t machine = ingest::MachineMemoryBytes();
  const int64_t budget = config_.ResolvedIngestMemoryBytes(ingest::DefaultIngestMemoryBytes(machine));
  if (budget > 0) ingest_budget_ = std::make_shared<ingest::MemoryBudget>(budget);
  // Encodes are CPU work plus a store write (S3 latency): twice the cores keeps both busy, and bounds the encode
  // working sets, which the budget does not count, whatever the number of streams.
  const int encodes = std::max(4, 2 * static_cast<int>(std::thread::hardware_concurrency()));
  encoder_ = std::make_shared<ingest::EncodeExecutor>(encodes);
  striped_uploads_ = std::make_unique<ingest::StripedUploads>(config_.upload_idle_timeout_seconds,
                                                               "--upload-idle-timeout-seconds");
  StartHugeArenaReclaim();
  spdlog::info("event=ingest_memory_budget mib={} source={} machine_mib={} max_concurrent_streams={} "
               "concurrent_encodes={} {}",
               budget >> 20, config_.ingest_memory_mb < 0 ? "auto" : "--ingest-memory-mb", machine >> 20,
               config_.max_concurrent_streams, encodes, ProcessMemoryDefaults());
  if (budget > 0 && budget < config_.grpc_max_decode_message_size) {
    spdlog::warn("event=ingest_memory_budget note=\"--ingest-memory-mb is below --max-message-mb: a message larger "
                 "than the budget is admitted alone, stalling every other upload meanwhile\"");
  }
}

MosaicoFlightService::~MosaicoFlightService() {
  if (!ingest_budget_) return;
  const auto s = ingest_budget_->stats();
  spdlog::info("event=ingest_memory_summary capacity_bytes={} peak_in_use_bytes={} waits={} oversize_grants={} "
               "reclaimed_bytes={}",
               s.capacity, s.peak_in_use, s.waits, s.oversize_grants, s.reclaimed_bytes);
}

arrow::Status MosaicoFlightService::ListFlights(const fl::ServerCallContext&, const fl::Criteria* criteria,
                                                std::unique_ptr<fl::FlightListing>* listings) {
  auto run = [&]() -> arrow::Status {
    ARROW_ASSIGN_OR_RAISE(auto parsed, ParseListCriteria(criteria));
    *listings = std::make_unique<SequenceListing>(lifecycle_->catalog(), info_builder_, std::move(parsed));
    return arrow::Status::OK();
  };
  return Finish("ListFlights", "*", run());
}

arrow::Status MosaicoFlightService::GetFlightInfo(const fl::ServerCallContext&, const fl::FlightDescriptor& request,
                                                  std::unique_ptr<fl::FlightInfo>* info) {
  auto run = [&]() -> arrow::Status {
    RequestDeadline deadline(config_.request_timeout_seconds, "--request-timeout-seconds");
    ARROW_RETURN_NOT_OK(CheckDescriptorBytes(request, config_.max_action_body_bytes));
    ARROW_ASSIGN_OR_RAISE(auto req, ParseDataDescriptor(request));
    ARROW_ASSIGN_OR_RAISE(auto built, info_builder_.ForRequest(request, req));
    // Read-only work: a reply that comes too late is refused rather than sent.
    if (deadline.Expired()) return deadline.Exceeded("GetFlightInfo of '" + req.locator.ToString() + "'");
    *info = std::make_unique<fl::FlightInfo>(std::move(built));
    return arrow::Status::OK();
  };
  return Finish("GetFlightInfo", DescribeDescriptor(request), run());
}

arrow::Status MosaicoFlightService::GetSchema(const fl::ServerCallContext&, const fl::FlightDescriptor& request,
                                              std::unique_ptr<fl::SchemaResult>* schema) {
  auto run = [&]() -> arrow::Status {
    ARROW_RETURN_NOT_OK(CheckDescriptorBytes(request, config_.max_action_body_bytes));
    ARROW_ASSIGN_OR_RAISE(auto req, ParseDataDescriptor(request));
    std::shared_ptr<arrow::Schema> result = arrow::schema({});
    if (req.locator.is_topic()) {
      ARROW_ASSIGN_OR_RAISE(auto topic, lifecycle_->catalog()->GetTopic(req.locator.sequence, req.locator.topic));
      ARROW_ASSIGN_OR_RAISE(result, FlightTopicSchema(topic));
    } else {
      ARROW_RETURN_NOT_OK(lifecycle_->catalog()->GetSequence(req.locator.sequence).status());
    }
    ARROW_ASSIGN_OR_RAISE(*schema, fl::SchemaResult::Make(*result));
    return arrow::Status::OK();
  };
  return Finish("GetSchema", DescribeDescriptor(request), run());
}

arrow::Status MosaicoFlightService::DoPut(const fl::ServerCallContext& context,
                                          std::unique_ptr<fl::FlightMessageReader> reader,
                                          std::unique_ptr<fl::FlightMetadataWriter> writer) {
  std::string target = DescribeDescriptor(reader->descriptor());
  arrow::Status status = DoPutImpl(context, reader.get(), writer.get(), &target);
  ReleaseHugeArenaPages();  // this upload's large message buffers (process_memory.h)
  return Finish("DoPut", target, std::move(status));
}

arrow::Status MosaicoFlightService::DoPutImpl(const fl::ServerCallContext& context, fl::FlightMessageReader* reader,
                                              fl::FlightMetadataWriter* writer, std::string* target) {
  ARROW_ASSIGN_OR_RAISE(auto slot, stream_slots_.Acquire("DoPut", *target));
  ARROW_RETURN_NOT_OK(CheckDescriptorBytes(reader->descriptor(), config_.max_action_body_bytes));
  ARROW_ASSIGN_OR_RAISE(auto request, ParsePutDescriptor(reader->descriptor()));
  ARROW_ASSIGN_OR_RAISE(auto stripes, ParsePutStripes(reader->descriptor()));
  *target = request.locator.ToString();
  auto options = UploadWriterOptions(config_, ingest_budget_, encoder_, context, *target);
  if (stripes) {  // one stripe of a striped upload (striped_put.h)
    StripedPutDeps deps{lifecycle_.get(), striped_uploads_.get(), &config_, std::move(options)};
    return DoStripedPut(context, reader, writer, request, *stripes, deps, *target);
  }
  ARROW_ASSIGN_OR_RAISE(auto admitted, lifecycle_->AdmitUpload(request.locator, request.topic_uuid));
  auto schema_read = reader->GetSchema();
  if (!schema_read.ok()) return StreamReadError(context, schema_read.status(), *target);
  std::shared_ptr<arrow::Schema> schema = *std::move(schema_read);
  ARROW_ASSIGN_OR_RAISE(auto upload, ingest::TopicUpload::Begin(lifecycle_->catalog(), lifecycle_->store(),
                                                                admitted.topic, schema, options));
  UploadOutcome outcome;  // mosaicod_uploads_total: aborted unless committed below
  // Returning early destroys `upload`, which aborts it.
  ARROW_RETURN_NOT_OK(ReceiveUploadBatches(context, reader, config_, *target,
                                           [&](const std::shared_ptr<arrow::RecordBatch>& batch) {
                                             return upload->Write(batch);
                                           }));
  ARROW_RETURN_NOT_OK(upload->Commit());
  outcome.Committed();
  spdlog::info("event=upload_committed topic={} rows={} chunks={}", *target, upload->rows_written(),
               upload->chunks_written());
  return arrow::Status::OK();
}

arrow::Status MosaicoFlightService::DoGet(const fl::ServerCallContext&, const fl::Ticket& request,
                                          std::unique_ptr<fl::FlightDataStream>* stream) {
  std::string target = "ticket";
  return Finish("DoGet", target, DoGetImpl(request, stream, &target));
}

namespace {
constexpr int64_t kReadaheadMaxRowBytes = 16 << 10;  // stored bytes per row below which DoGet reads ahead
}  // namespace

arrow::Status MosaicoFlightService::DoGetImpl(const fl::Ticket& request, std::unique_ptr<fl::FlightDataStream>* stream,
                                              std::string* target) {
  ARROW_ASSIGN_OR_RAISE(auto slot, stream_slots_.Acquire("DoGet", *target));
  ARROW_RETURN_NOT_OK(CheckFieldBytes("the ticket", static_cast<int64_t>(request.ticket.size()),
                                      config_.max_action_body_bytes, "--max-action-body-bytes"));
  ARROW_ASSIGN_OR_RAISE(auto req, DecodeTicket(request.ticket));
  *target = req.locator.ToString();
  if (!req.locator.is_topic()) {
    return InvalidArgument("ticket for '" + req.locator.ToString() + "' names a sequence; DoGet reads one topic");
  }
  auto catalog = lifecycle_->catalog();
  ARROW_ASSIGN_OR_RAISE(auto topic, catalog->GetTopic(req.locator.sequence, req.locator.topic));
  ARROW_ASSIGN_OR_RAISE(auto schema, TopicSchema(topic));
  if (!topic.schema_ipc) {
    // No upload ever opened: nothing to read. An empty stream (empty schema, no batch), as GetFlightInfo announces.
    ARROW_ASSIGN_OR_RAISE(auto empty, arrow::RecordBatchReader::Make({}, schema));
    *stream = std::make_unique<fl::RecordBatchStream>(HoldSlotWhileReading(std::move(empty), std::move(slot)));
    return arrow::Status::OK();
  }
  ARROW_ASSIGN_OR_RAISE(auto chunks, catalog->ListChunks(topic.id, /*with_stats=*/false));
  read::ReadOptions options;
  options.max_batch_bytes = config_.grpc_target_encode_message_size;
  // Decode the next batches while gRPC sends this one -- for narrow rows (IMU-like: many values per byte, where
  // decoding is real work), on one background thread. Columns are not decoded in parallel on Arrow's CPU pool any
  // more (use_threads): a task hand-off per column and batch cost 1.04-1.18x CPU per IMU read, with floats stored
  // PLAIN (857e2ea) and null-free fields required (f467a5c); wall even at load 3, better or worse by load above
  // (bench/README.md 2026-12-07 12:00). Wide rows (blobs) decode as plain copies and stay on the gRPC thread:
  // readahead measured 10-20% slower before b600a91 (fresh pages), +10 % CPU and no clear wall gain since.
  int64_t rows = 0, bytes = 0;
  for (const auto& chunk : chunks) {
    rows += chunk.row_count;
    bytes += chunk.size_bytes;
  }
  if (rows > 0 && bytes / rows < kReadaheadMaxRowBytes) {
    options.readahead_batches = 2;
  } else {
    // Wide rows decode into the process's malloc (Debian jemalloc, process_memory.h), not Arrow's pool: the wheel's
    // jemalloc purged each decoded batch's value buffer before the next one reused it (99.7 % of a blob read's page
    // faults, 35k per 210 MB); there 36.6k -> 4.1k faults, 1.25x less CPU per read (bench/README.md 2026-12-07 08:50).
    // Through a pool that resizes with realloc (read/malloc_pool.h): Arrow's system pool copies on every resize, and
    // Parquet's binary decode grows each batch's value buffer and shrinks it to fit (29 % of a blob read's CPU).
    options.pool = read::ProcessMallocPool();
  }
  const auto chunks_total = static_cast<int64_t>(chunks.size());
  ARROW_ASSIGN_OR_RAISE(auto reader, read::OpenTopicReader(lifecycle_->store(), schema, std::move(chunks),
                                                           req.window, options));
  *stream = std::make_unique<fl::RecordBatchStream>(HoldSlotWhileReading(
      FlightFormReader(LogWhenDone(std::move(reader), *target, chunks_total)), std::move(slot)));
  return arrow::Status::OK();
}

arrow::Status MosaicoFlightService::DoAction(const fl::ServerCallContext& context, const fl::Action& action,
                                             std::unique_ptr<fl::ResultStream>* result) {
  const auto started = std::chrono::steady_clock::now();
  auto frames = RunAction(context, action);
  if (!frames.ok()) {
    auto wire = Finish("DoAction", action.type, frames.status());
    ObserveAction(actions_.Find(action.type), wire, started);  // mosaicod_action_requests_total, query latency
    return wire;
  }
  std::vector<fl::Result> results;
  results.reserve(frames->size());
  for (auto& frame : *frames) results.push_back(fl::Result{arrow::Buffer::FromString(std::move(frame))});
  *result = std::make_unique<fl::SimpleResultStream>(std::move(results));
  ObserveAction(actions_.Find(action.type), arrow::Status::OK(), started);
  return Finish("DoAction", action.type, arrow::Status::OK());
}

arrow::Result<std::vector<std::string>> MosaicoFlightService::RunAction(const fl::ServerCallContext& context,
                                                                      const fl::Action& action) {
  const ActionSpec* spec = actions_.Find(action.type);
  if (spec == nullptr) return InvalidArgument("unknown action '" + action.type.substr(0, 100) + "'");
  ARROW_RETURN_NOT_OK(RequireActionPermission(context, *spec));  // before any work (auth_middleware.h)
  RequestDeadline deadline(config_.request_timeout_seconds, "--request-timeout-seconds");
  ARROW_RETURN_NOT_OK(CheckFieldBytes("body of action '" + action.type + "'", action.body ? action.body->size() : 0,
                                      config_.max_action_body_bytes, "--max-action-body-bytes"));
  std::string body_text = action.body ? action.body->ToString() : std::string();
  if (body_text.empty()) body_text = "{}";
  const std::string what = "body of action '" + action.type + "'";
  ARROW_ASSIGN_OR_RAISE(auto body, spec->body_parser ? spec->body_parser(body_text, what)
                                                     : ParseJsonObject(body_text, what));
  // Long handlers poll is_cancelled: a client that left or set a deadline, a shutdown, or our own time limit.
  ActionContext ctx{lifecycle_.get(), &config_,
                    [&context, &deadline] { return context.is_cancelled() || deadline.Expired(); }};
  ctx.caller = CallerOf(context);
  // A handler that stopped because our own time limit made is_cancelled true: say which limit.
  const auto stopped_by_own_limit = [&context, &deadline](const arrow::Status& status) {
    return status.IsCancelled() && deadline.Expired() && !context.is_cancelled();
  };
  const std::string action_name = "action '" + action.type + "'";
  std::vector<std::string> frames;
  if (spec->text_handler) {
    // The handler writes `response` into the frame itself: the bytes dump() below gives for the same value.
    std::string frame = "{\"action\":";
    AppendJsonString(&frame, action.type);
    frame += ",\"response\":";
    auto status = spec->text_handler(ctx, body, &frame);
    if (stopped_by_own_limit(status)) return deadline.Exceeded(action_name);
    ARROW_RETURN_NOT_OK(status);
    frame.push_back('}');
    frames.push_back(std::move(frame));
    return frames;
  }
  std::vector<OrderedJson> responses;
  if (spec->streaming_handler) {
    // Streaming handlers (queries) read topic data: they hold a stream slot, and are read-only, so a result that
    // comes after the time limit is refused rather than sent.
    ARROW_ASSIGN_OR_RAISE(auto slot, stream_slots_.Acquire("DoAction", action.type));
    auto streamed = spec->streaming_handler(ctx, body);
    if (deadline.Expired() && !context.is_cancelled()) return deadline.Exceeded(action_name);
    ARROW_ASSIGN_OR_RAISE(responses, std::move(streamed));
  } else {
    auto response = spec->handler(ctx, body);
    if (stopped_by_own_limit(response.status())) return deadline.Exceeded(action_name);
    ARROW_RETURN_NOT_OK(response.status());
    responses.push_back(std::move(response).ValueOrDie());
  }
  frames.reserve(responses.size());
  for (auto& response : responses) {
    OrderedJson frame;
    frame["action"] = action.type;
    frame["response"] = std::move(response);
    frames.push_back(frame.dump(-1, ' ', false, OrderedJson::error_handler_t::replace));
  }
  return frames;
}

arrow::Status MosaicoFlightService::ListActions(const fl::ServerCallContext&, std::vector<fl::ActionType>* actions) {
  for (const ActionSpec* spec : actions_.All()) actions->push_back(fl::ActionType{spec->name, spec->description});
  return arrow::Status::OK();
}

}  // namespace mosaico::server
