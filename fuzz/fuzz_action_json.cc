// Fuzz target: the JSON decoding of DoAction bodies. Input: "<action name>\n<body>". The body goes through what
// MosaicoFlightService::RunAction does before a handler runs (empty -> "{}", the action's body parser: query
// actions use query::ParseRequestJson, the others core ParseJsonObject), then through the request decoding the
// handlers of server/actions/ do before they touch the catalog (json.h accessors, locator parsers, the stored
// form of user_metadata). Keep the decoders below in step with those handlers.
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "mosaico/core/json.h"
#include "mosaico/core/locator.h"
#include "mosaico/query/query_parser.h"
#include "mosaico/query/request_json.h"

using namespace mosaico;
using mosaico::fuzz::ExpectClientError;
using mosaico::fuzz::Fail;

namespace {

arrow::Status DecodeLifecycle(const std::string& name, const Json& body) {
  if (name == "sequence_create" || name == "topic_create") {
    ARROW_ASSIGN_OR_RAISE(auto metadata, OptionalObject(body, "user_metadata"));
    std::string stored = metadata.dump();  // what lifecycle_actions stores; must not throw
    auto reparsed = ParseJsonObject(stored, "stored user_metadata");
    if (!reparsed.ok()) Fail("stored user_metadata does not parse back: " + reparsed.status().ToString());
  }
  if (name == "sequence_create" || name == "session_create" || name == "sequence_delete") {
    ARROW_ASSIGN_OR_RAISE(auto locator, RequireString(body, "locator"));
    return ParseSequenceName(locator).status();
  }
  if (name == "topic_create" || name == "topic_delete") {
    if (name == "topic_create") {
      ARROW_RETURN_NOT_OK(RequireString(body, "session_uuid").status());
      ARROW_RETURN_NOT_OK(RequireString(body, "serialization_format").status());
      ARROW_RETURN_NOT_OK(RequireString(body, "ontology_tag").status());
    }
    ARROW_ASSIGN_OR_RAISE(auto locator, RequireString(body, "locator"));
    return ParseTopicLocator(locator).status();
  }
  if (name == "session_delete") {
    ARROW_ASSIGN_OR_RAISE(auto locator, RequireString(body, "locator"));
    return ParseSessionLocator(locator).status();
  }
  if (name == "session_finalize") return RequireString(body, "session_uuid").status();
  if (name.find("_notification_") != std::string::npos) {
    ARROW_ASSIGN_OR_RAISE(auto locator, RequireString(body, "locator"));
    if (name.rfind("topic_", 0) == 0) {
      ARROW_RETURN_NOT_OK(ParseTopicLocator(locator).status());
    } else {
      ARROW_RETURN_NOT_OK(ParseSequenceName(locator).status());
    }
    if (name.find("_create") != std::string::npos) {
      ARROW_RETURN_NOT_OK(RequireString(body, "notification_type").status());
      ARROW_RETURN_NOT_OK(RequireString(body, "msg").status());
    }
    return arrow::Status::OK();
  }
  // Generic accessors on whatever fields the body has (wrong types must be INVALID_ARGUMENT, never a throw).
  for (const char* field : {"locator", "name", "timestamp_ns_start", "timestamp_ns_end"}) {
    ExpectClientError(OptionalString(body, field).status(), "OptionalString");
    ExpectClientError(OptionalInt64(body, field).status(), "OptionalInt64");
  }
  return arrow::Status::OK();
}

arrow::Result<std::vector<std::shared_ptr<arrow::Schema>>> NoSchemas(const std::string&) {
  return std::vector<std::shared_ptr<arrow::Schema>>{};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = mosaico::fuzz::AsText(data, size);
  const size_t nl = input.find('\n');
  const std::string name(input.substr(0, nl == std::string_view::npos ? input.size() : nl));
  std::string body_text(nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1));
  if (body_text.empty()) body_text = "{}";
  const std::string what = "body of action '" + name + "'";
  const bool query_action = name == "query" || name == "topic_filter_clusterize" || name == "topic_filter_intersect";

  auto body = query_action ? query::ParseRequestJson(body_text, what) : ParseJsonObject(body_text, what);
  ExpectClientError(body.status(), "body parser");
  if (!body.ok()) return 0;
  if (!body->is_object()) Fail("body parser returned a non-object");
  if (query_action) {
    if (name == "query") ExpectClientError(query::ParseQuery(*body, NoSchemas).status(), "ParseQuery");
    if (name == "topic_filter_clusterize") {
      ExpectClientError(query::ParseClusterize(*body, NoSchemas).status(), "ParseClusterize");
    }
    if (name == "topic_filter_intersect") {
      ExpectClientError(query::ParseIntersect(*body, NoSchemas).status(), "ParseIntersect");
    }
    return 0;
  }
  ExpectClientError(DecodeLifecycle(name, *body), "decoder of action '" + name + "'");
  return 0;
}
