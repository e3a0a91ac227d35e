#include "mosaico/server/striped_put.h"

#include <arrow/buffer.h>
#include <spdlog/spdlog.h>

#include "mosaico/core/errors.h"
#include "mosaico/core/json.h"
#include "mosaico/ingest/stripe_ledger.h"
#include "mosaico/server/put_stream.h"
#include "mosaico/server/service_metrics.h"

namespace mosaico::server {
namespace fl = arrow::flight;

arrow::Result<std::optional<PutStripes>> ParsePutStripes(const fl::FlightDescriptor& descriptor) {
  if (descriptor.type != fl::FlightDescriptor::CMD) return std::nullopt;  // ParsePutDescriptor refuses it
  ARROW_ASSIGN_OR_RAISE(auto cmd, ParseJsonObject(descriptor.cmd, "DoPut descriptor command"));
  ARROW_ASSIGN_OR_RAISE(auto stripes, OptionalInt64(cmd, "stripes"));
  ARROW_ASSIGN_OR_RAISE(auto stripe, OptionalInt64(cmd, "stripe"));
  if (!stripes && !stripe) return std::nullopt;
  if (!stripes) return InvalidArgument("DoPut descriptor: field 'stripes' is missing (it goes with 'stripe')");
  if (!stripe) return InvalidArgument("DoPut descriptor: field 'stripe' is missing (it goes with 'stripes')");
  ARROW_RETURN_NOT_OK(WithContext(ingest::StripeLedger::ValidateFields(*stripes, *stripe), "DoPut descriptor"));
  return PutStripes{static_cast<int>(*stripes), static_cast<int>(*stripe)};
}

std::string StripeReply(const PutStripes& stripes, const std::string& upload_id, const ingest::StripeOutcome& outcome) {
  OrderedJson j;
  j["stripe"] = stripes.stripe;
  j["stripes"] = stripes.stripes;
  j["upload_id"] = upload_id;
  j["committed"] = outcome.committed;
  j["waiting_for"] = outcome.waiting_for;
  return j.dump();
}

arrow::Status DoStripedPut(const fl::ServerCallContext& context, fl::FlightMessageReader* reader,
                           fl::FlightMetadataWriter* writer, const PutRequest& request, const PutStripes& stripes,
                           const StripedPutDeps& deps, const std::string& target) {
  auto schema_read = reader->GetSchema();
  if (!schema_read.ok()) return StreamReadError(context, schema_read.status(), target);
  std::shared_ptr<arrow::Schema> schema = *std::move(schema_read);
  const std::string stripe_name = "stripe " + std::to_string(stripes.stripe) + " of topic '" + target + "'";

  auto open = [&]() -> arrow::Result<std::shared_ptr<ingest::StripedUpload>> {
    auto catalog = deps.lifecycle->catalog();
    ARROW_ASSIGN_OR_RAISE(auto topic, catalog->GetTopic(request.locator.sequence, request.locator.topic));
    if (topic.upload_id && topic.uuid == request.topic_uuid) {
      return FailedPrecondition("field 'stripe': " + stripe_name + " arrived after the topic's upload (" +
                                *topic.upload_id + ") was committed; a topic accepts a single upload");
    }
    ARROW_ASSIGN_OR_RAISE(auto admitted, deps.lifecycle->AdmitUpload(request.locator, request.topic_uuid));
    std::shared_ptr<lifecycle::UploadRegistry::Guard> slot(std::move(admitted.guard));
    ARROW_ASSIGN_OR_RAISE(auto upload, ingest::StripedUpload::Begin(catalog, deps.lifecycle->store(), admitted.topic,
                                                                    schema, stripes.stripes, std::move(slot)));
    // A delete of its session or topic gives the slot up while no stripe streams (lifecycle/upload_registry.h).
    std::weak_ptr<ingest::StripedUpload> weak = upload;
    deps.lifecycle->uploads().SetAbandoner(admitted.topic.id, [weak] {
      auto held = weak.lock();
      return held && held->AbandonIfIdle(Aborted("its session or topic was deleted while stripes were missing"));
    });
    return upload;
  };
  ARROW_ASSIGN_OR_RAISE(auto upload, deps.uploads->FindOrOpen(target, open));
  if (upload->topic().uuid != request.topic_uuid) {
    return PermissionDenied("'topic_uuid' does not match the write token of topic '" + target + "'");
  }
  ARROW_ASSIGN_OR_RAISE(auto stripe, upload->OpenStripe(stripes.stripe, stripes.stripes, schema, deps.options));
  UploadOutcome counted;  // mosaicod_uploads_total counts streams: a stripe closed cleanly counts as committed
  arrow::Status st = ReceiveUploadBatches(context, reader, *deps.config, target,
                                          [&](const std::shared_ptr<arrow::RecordBatch>& batch) {
                                            return stripe->Write(batch);
                                          });
  if (!st.ok()) {
    stripe->Fail(st);
    return st;
  }
  ARROW_ASSIGN_OR_RAISE(auto outcome, stripe->Close());
  counted.Committed();
  spdlog::info("event=stripe_closed topic={} upload={} stripe={} stripes={} rows={} chunks={} committed={}", target,
               upload->upload_id(), stripes.stripe, stripes.stripes, outcome.rows, outcome.chunks, outcome.committed);
  const std::string reply = StripeReply(stripes, upload->upload_id(), outcome);
  // The upload's fate is sealed; a client that stopped listening for the reply changes nothing.
  arrow::Status sent = writer->WriteMetadata(*arrow::Buffer::FromString(reply));
  if (!sent.ok()) spdlog::debug("rpc=DoPut target={} reply not delivered: {}", target, sent.ToString());
  return arrow::Status::OK();
}

}  // namespace mosaico::server
