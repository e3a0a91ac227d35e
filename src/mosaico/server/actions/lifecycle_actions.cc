// Lifecycle actions: create / finalize / delete of sequences, sessions and topics.
// Replies follow what the SDK 0.7.0 parses: session_create -> exactly {"uuid","locator"}, topic_create ->
// exactly {"uuid"} (the SDK builds dataclasses from these dicts, so extra keys would break it).
#include "mosaico/server/actions/action_registry.h"

#include "mosaico/core/errors.h"
#include "mosaico/core/metadata_keys.h"
#include "mosaico/server/limits.h"

namespace mosaico::server {
namespace {

// The user metadata as stored (compact JSON), at most --max-metadata-bytes, every key following the metadata key
// rule (core/metadata_keys.h). Checked before anything is created.
arrow::Result<std::string> MetadataText(const ActionContext& ctx, const Json& body) {
  ARROW_ASSIGN_OR_RAISE(auto metadata, OptionalObject(body, "user_metadata"));
  std::string text = metadata.dump();
  ARROW_RETURN_NOT_OK(CheckFieldBytes("user_metadata", static_cast<int64_t>(text.size()),
                                      ctx.config->max_metadata_bytes, "--max-metadata-bytes"));
  ARROW_RETURN_NOT_OK(ValidateMetadataKeys(metadata, "user_metadata"));
  return text;
}

arrow::Result<OrderedJson> SequenceCreate(const ActionContext& ctx, const Json& body) {
  ARROW_ASSIGN_OR_RAISE(auto locator, RequireString(body, "locator"));
  ARROW_ASSIGN_OR_RAISE(auto name, ParseSequenceName(locator));
  ARROW_ASSIGN_OR_RAISE(auto metadata, MetadataText(ctx, body));
  ARROW_ASSIGN_OR_RAISE(auto seq, ctx.lifecycle->CreateSequence(name, metadata));
  return OrderedJson{{"locator", seq.name}};
}

arrow::Result<OrderedJson> SessionCreate(const ActionContext& ctx, const Json& body) {
  ARROW_ASSIGN_OR_RAISE(auto locator, RequireString(body, "locator"));
  ARROW_ASSIGN_OR_RAISE(auto name, ParseSequenceName(locator));
  ARROW_ASSIGN_OR_RAISE(auto session, ctx.lifecycle->CreateSession(name));
  return OrderedJson{{"uuid", session.uuid}, {"locator", session.sequence_name + ":" + session.key}};
}

arrow::Result<OrderedJson> TopicCreate(const ActionContext& ctx, const Json& body) {
  lifecycle::CreateTopicRequest req;
  ARROW_ASSIGN_OR_RAISE(req.session_uuid, RequireString(body, "session_uuid"));
  ARROW_ASSIGN_OR_RAISE(auto locator, RequireString(body, "locator"));
  ARROW_ASSIGN_OR_RAISE(req.locator, ParseTopicLocator(locator));
  ARROW_ASSIGN_OR_RAISE(req.serialization_format, RequireString(body, "serialization_format"));
  ARROW_ASSIGN_OR_RAISE(req.ontology_tag, RequireString(body, "ontology_tag"));
  ARROW_ASSIGN_OR_RAISE(req.user_metadata_json, MetadataText(ctx, body));
  ARROW_ASSIGN_OR_RAISE(auto topic, ctx.lifecycle->CreateTopic(req));
  return OrderedJson{{"uuid", topic.uuid}};
}

arrow::Result<OrderedJson> SessionFinalize(const ActionContext& ctx, const Json& body) {
  ARROW_ASSIGN_OR_RAISE(auto uuid, RequireString(body, "session_uuid"));
  ARROW_RETURN_NOT_OK(ctx.lifecycle->FinalizeSession(uuid));
  return OrderedJson::object();
}

arrow::Result<OrderedJson> SequenceDelete(const ActionContext& ctx, const Json& body) {
  ARROW_ASSIGN_OR_RAISE(auto locator, RequireString(body, "locator"));
  ARROW_ASSIGN_OR_RAISE(auto name, ParseSequenceName(locator));
  ARROW_RETURN_NOT_OK(ctx.lifecycle->DeleteSequence(name));
  return OrderedJson::object();
}

arrow::Result<OrderedJson> SessionDelete(const ActionContext& ctx, const Json& body) {
  ARROW_ASSIGN_OR_RAISE(auto locator, RequireString(body, "locator"));
  ARROW_ASSIGN_OR_RAISE(auto session, ParseSessionLocator(locator));
  ARROW_RETURN_NOT_OK(ctx.lifecycle->DeleteSession(session));
  return OrderedJson::object();
}

arrow::Result<OrderedJson> TopicDelete(const ActionContext& ctx, const Json& body) {
  ARROW_ASSIGN_OR_RAISE(auto locator, RequireString(body, "locator"));
  ARROW_ASSIGN_OR_RAISE(auto topic, ParseTopicLocator(locator));
  ARROW_RETURN_NOT_OK(ctx.lifecycle->DeleteTopic(topic));
  return OrderedJson::object();
}

}  // namespace

void RegisterLifecycleActions(ActionRegistry* r) {
  r->Register({"sequence_create", "Create a sequence: {locator, user_metadata}.", SequenceCreate},
              auth::Permission::kWrite);
  r->Register({"session_create", "Open an upload session on a sequence: {locator} -> {uuid, locator}.", SessionCreate},
              auth::Permission::kWrite);
  r->Register({"topic_create",
               "Create a topic in an open session: {session_uuid, locator, serialization_format, ontology_tag, "
               "user_metadata} -> {uuid}.",
               TopicCreate}, auth::Permission::kWrite);
  r->Register({"session_finalize", "Lock a session and its topics: {session_uuid}.", SessionFinalize},
              auth::Permission::kWrite);
  r->Register({"sequence_delete", "Delete a sequence and all its data: {locator}.", SequenceDelete},
              auth::Permission::kDelete);
  r->Register({"session_delete", "Delete an unfinalized session: {locator: \"<seq>:<id>\"}.", SessionDelete},
              auth::Permission::kDelete);
  r->Register({"topic_delete", "Delete an unfinalized topic: {locator}.", TopicDelete}, auth::Permission::kDelete);
}

}  // namespace mosaico::server
