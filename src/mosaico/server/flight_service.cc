#include "mosaico/server/flight_service.h"

#include <arrow/buffer.h>
#include <spdlog/spdlog.h>

#include "mosaico/core/errors.h"
#include "mosaico/ingest/topic_upload.h"
#include "mosaico/read/topic_reader.h"
#include "mosaico/server/flight_requests.h"
#include "mosaico/server/logged_reader.h"
#include "mosaico/server/status_mapping.h"

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
  if (client_error) {
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

}  // namespace

MosaicoFlightService::MosaicoFlightService(ServerConfig config, std::shared_ptr<lifecycle::Lifecycle> lifecycle)
    : config_(std::move(config)),
      lifecycle_(std::move(lifecycle)),
      info_builder_(lifecycle_->catalog(), lifecycle_->store()),
      actions_(DefaultActionRegistry()) {}

arrow::Status MosaicoFlightService::ListFlights(const fl::ServerCallContext&, const fl::Criteria*,
                                                std::unique_ptr<fl::FlightListing>* listings) {
  auto run = [&]() -> arrow::Status {
    ARROW_ASSIGN_OR_RAISE(auto sequences, lifecycle_->catalog()->ListSequences());
    std::vector<fl::FlightInfo> infos;
    infos.reserve(sequences.size());
    for (const auto& seq : sequences) {
      ARROW_ASSIGN_OR_RAISE(auto info, info_builder_.ForListing(seq));
      infos.push_back(std::move(info));
    }
    *listings = std::make_unique<fl::SimpleFlightListing>(std::move(infos));
    return arrow::Status::OK();
  };
  return Finish("ListFlights", "*", run());
}

arrow::Status MosaicoFlightService::GetFlightInfo(const fl::ServerCallContext&, const fl::FlightDescriptor& request,
                                                  std::unique_ptr<fl::FlightInfo>* info) {
  auto run = [&]() -> arrow::Status {
    ARROW_ASSIGN_OR_RAISE(auto req, ParseDataDescriptor(request));
    ARROW_ASSIGN_OR_RAISE(auto built, info_builder_.ForRequest(request, req));
    *info = std::make_unique<fl::FlightInfo>(std::move(built));
    return arrow::Status::OK();
  };
  return Finish("GetFlightInfo", DescribeDescriptor(request), run());
}

arrow::Status MosaicoFlightService::GetSchema(const fl::ServerCallContext&, const fl::FlightDescriptor& request,
                                              std::unique_ptr<fl::SchemaResult>* schema) {
  auto run = [&]() -> arrow::Status {
    ARROW_ASSIGN_OR_RAISE(auto req, ParseDataDescriptor(request));
    std::shared_ptr<arrow::Schema> result = arrow::schema({});
    if (req.locator.is_topic()) {
      ARROW_ASSIGN_OR_RAISE(auto topic, lifecycle_->catalog()->GetTopic(req.locator.sequence, req.locator.topic));
      ARROW_ASSIGN_OR_RAISE(result, TopicSchema(topic));
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
                                          std::unique_ptr<fl::FlightMetadataWriter>) {
  std::string target = DescribeDescriptor(reader->descriptor());
  return Finish("DoPut", target, DoPutImpl(context, reader.get(), &target));
}

arrow::Status MosaicoFlightService::DoPutImpl(const fl::ServerCallContext& context, fl::FlightMessageReader* reader,
                                              std::string* target) {
  ARROW_ASSIGN_OR_RAISE(auto request, ParsePutDescriptor(reader->descriptor()));
  *target = request.locator.ToString();
  ARROW_ASSIGN_OR_RAISE(auto admitted, lifecycle_->AdmitUpload(request.locator, request.topic_uuid));
  ARROW_ASSIGN_OR_RAISE(auto schema, reader->GetSchema());

  ingest::ChunkWriterOptions options;
  options.target_chunk_bytes = config_.chunk_target_bytes;
  options.row_group_rows = config_.row_group_rows;
  ARROW_ASSIGN_OR_RAISE(auto upload, ingest::TopicUpload::Begin(lifecycle_->catalog(), lifecycle_->store(),
                                                                admitted.topic, schema, options));
  while (true) {
    ARROW_ASSIGN_OR_RAISE(auto chunk, reader->Next());
    if (!chunk.data) {
      if (chunk.app_metadata) continue;  // metadata-only message: nothing to store
      break;
    }
    ARROW_RETURN_NOT_OK(upload->Write(chunk.data));
  }
  // A client that vanishes (or a shutdown that cancels the call) also ends the message stream; only a stream the
  // client closed itself is a complete upload. Returning here destroys `upload`, which aborts it.
  if (context.is_cancelled()) return Aborted("upload to '" + *target + "' was cancelled before the client finished it");
  ARROW_RETURN_NOT_OK(upload->Commit());
  spdlog::info("event=upload_committed topic={} rows={} chunks={}", *target, upload->rows_written(),
               upload->chunks_written());
  return arrow::Status::OK();
}

arrow::Status MosaicoFlightService::DoGet(const fl::ServerCallContext&, const fl::Ticket& request,
                                          std::unique_ptr<fl::FlightDataStream>* stream) {
  std::string target = "ticket";
  return Finish("DoGet", target, DoGetImpl(request, stream, &target));
}

arrow::Status MosaicoFlightService::DoGetImpl(const fl::Ticket& request, std::unique_ptr<fl::FlightDataStream>* stream,
                                              std::string* target) {
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
    *stream = std::make_unique<fl::RecordBatchStream>(std::move(empty));
    return arrow::Status::OK();
  }
  ARROW_ASSIGN_OR_RAISE(auto chunks, catalog->ListChunks(topic.id, /*with_stats=*/false));
  read::ReadOptions options;
  options.max_batch_bytes = config_.grpc_target_encode_message_size;
  const auto chunks_total = static_cast<int64_t>(chunks.size());
  ARROW_ASSIGN_OR_RAISE(auto reader, read::OpenTopicReader(lifecycle_->store(), schema, std::move(chunks),
                                                           req.window, options));
  *stream = std::make_unique<fl::RecordBatchStream>(LogWhenDone(std::move(reader), *target, chunks_total));
  return arrow::Status::OK();
}

arrow::Status MosaicoFlightService::DoAction(const fl::ServerCallContext& context, const fl::Action& action,
                                             std::unique_ptr<fl::ResultStream>* result) {
  auto frames = RunAction(context, action);
  if (!frames.ok()) return Finish("DoAction", action.type, frames.status());
  std::vector<fl::Result> results;
  results.reserve(frames->size());
  for (auto& frame : *frames) results.push_back(fl::Result{arrow::Buffer::FromString(std::move(frame))});
  *result = std::make_unique<fl::SimpleResultStream>(std::move(results));
  return Finish("DoAction", action.type, arrow::Status::OK());
}

arrow::Result<std::vector<std::string>> MosaicoFlightService::RunAction(const fl::ServerCallContext& context,
                                                                      const fl::Action& action) {
  const ActionSpec* spec = actions_.Find(action.type);
  if (spec == nullptr) return InvalidArgument("unknown action '" + action.type.substr(0, 100) + "'");
  std::string body_text = action.body ? action.body->ToString() : std::string();
  if (body_text.empty()) body_text = "{}";
  const std::string what = "body of action '" + action.type + "'";
  ARROW_ASSIGN_OR_RAISE(auto body, spec->body_parser ? spec->body_parser(body_text, what)
                                                     : ParseJsonObject(body_text, what));
  ActionContext ctx{lifecycle_.get(), &config_, [&context] { return context.is_cancelled(); }};
  std::vector<OrderedJson> responses;
  if (spec->streaming_handler) {
    ARROW_ASSIGN_OR_RAISE(responses, spec->streaming_handler(ctx, body));
  } else {
    ARROW_ASSIGN_OR_RAISE(auto response, spec->handler(ctx, body));
    responses.push_back(std::move(response));
  }
  std::vector<std::string> frames;
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
