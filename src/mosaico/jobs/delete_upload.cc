#include "mosaico/jobs/delete_upload.h"

#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>

#include "mosaico/core/errors.h"
#include "mosaico/core/json.h"
#include "mosaico/core/locator.h"
#include "mosaico/store/layout.h"

namespace mosaico::jobs {

namespace layout = store::layout;

arrow::Status RunDeleteUploadJob(const catalog::JobRecord& job, catalog::Catalog& catalog, store::ObjectStore& store) {
  ARROW_ASSIGN_OR_RAISE(Json payload, ParseJsonObject(job.payload_json, "delete_upload payload"));
  ARROW_ASSIGN_OR_RAISE(std::string sequence_field, RequireString(payload, "sequence"));
  ARROW_ASSIGN_OR_RAISE(std::string topic_field, RequireString(payload, "topic"));
  ARROW_ASSIGN_OR_RAISE(std::string upload_id, RequireString(payload, "upload_id"));
  ARROW_ASSIGN_OR_RAISE(std::string sequence, ParseSequenceName(sequence_field, "sequence"));
  ARROW_ASSIGN_OR_RAISE(std::string topic, ParseTopicPath(topic_field, "topic"));
  const bool plain = !upload_id.empty() && std::all_of(upload_id.begin(), upload_id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
  const auto ref = layout::ParseKey(layout::UploadManifest(sequence, topic, upload_id));
  if (!plain || ref.kind != layout::ObjectRef::Kind::kUploadManifest || ref.upload_id != upload_id) {
    return InvalidArgument("delete_upload payload: 'upload_id' does not name an upload directory");
  }
  const std::string locator = sequence + "/" + topic;

  auto current = catalog.GetTopic(sequence, topic);
  if (!current.ok() && !current.status().IsKeyError()) return current.status();
  if (current.ok() && current->upload_id == upload_id) {
    spdlog::warn("event=delete_upload_kept topic={} upload={} reason=\"the catalog still references it\"", locator,
                 upload_id);
    return arrow::Status::OK();
  }
  ARROW_RETURN_NOT_OK(store.DeletePrefix(layout::UploadDir(sequence, topic, upload_id)));
  spdlog::info("event=upload_deleted topic={} upload={}", locator, upload_id);
  return arrow::Status::OK();
}

}  // namespace mosaico::jobs
