#include "mosaico/server/flight_info_builder.h"

#include "mosaico/core/json.h"
#include "mosaico/ingest/schema_check.h"
#include "mosaico/read/window_count.h"
#include "mosaico/server/flight_schema.h"

namespace mosaico::server {
namespace fl = arrow::flight;
using catalog::TopicRecord;

namespace {

OrderedJson MetadataObject(const std::string& text) {
  auto j = OrderedJson::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || j.is_null()) return OrderedJson::object();
  return j;
}

OrderedJson OptionalNs(const std::optional<int64_t>& v) { return v ? OrderedJson(*v) : OrderedJson(nullptr); }

OrderedJson Interval(const std::optional<int64_t>& lo, const std::optional<int64_t>& hi) {
  if (!lo || !hi) return nullptr;
  return OrderedJson{{"start_ns", *lo}, {"end_ns", *hi}};
}

}  // namespace

arrow::Result<std::shared_ptr<arrow::Schema>> TopicSchema(const TopicRecord& topic) {
  if (!topic.schema_ipc) return arrow::schema({});
  return ingest::DeserializeSchema(*topic.schema_ipc);
}

arrow::Result<std::shared_ptr<arrow::Schema>> FlightTopicSchema(const TopicRecord& topic) {
  ARROW_ASSIGN_OR_RAISE(auto stored, TopicSchema(topic));
  return FlightSchemaOf(stored);
}

arrow::Result<fl::FlightInfo> FlightInfoBuilder::ForRequest(const fl::FlightDescriptor& descriptor,
                                                           const DataRequest& request) {
  return request.locator.is_topic() ? ForTopic(descriptor, request) : ForSequence(descriptor, request);
}

arrow::Result<fl::FlightInfo> FlightInfoBuilder::ForListing(const catalog::SequenceRecord& seq) {
  OrderedJson meta{{"resource_locator", seq.name},
                   {"created_at_ns", seq.created_at_ns},
                   {"user_metadata", MetadataObject(seq.user_metadata_json)}};
  return fl::FlightInfo::Make(*arrow::schema({}), fl::FlightDescriptor::Path({seq.name}), {}, -1, -1, false,
                              meta.dump());
}

arrow::Result<FlightInfoBuilder::Endpoint> FlightInfoBuilder::TopicEndpoint(const TopicRecord& topic,
                                                                           const TimeWindow& window) {
  ARROW_ASSIGN_OR_RAISE(auto summary, catalog_->SummarizeTopic(topic.id));
  OrderedJson meta;
  meta["resource_locator"] = topic.sequence_name + "/" + topic.name;
  meta["created_at_ns"] = topic.created_at_ns;
  meta["completed_at_ns"] = OptionalNs(topic.completed_at_ns);
  meta["locked"] = topic.locked;
  meta["ontology_tag"] = topic.ontology_tag;
  meta["serialization_format"] = topic.serialization_format;
  meta["user_metadata"] = MetadataObject(topic.user_metadata_json);
  meta["data_info"] = {{"total_bytes", summary.total_bytes},
                       {"total_chunks_count", summary.total_chunks},
                       {"total_row_count", summary.total_rows},
                       {"interval", Interval(summary.ts_min, summary.ts_max)}};
  Endpoint out;
  out.rows = summary.total_rows;
  out.bytes = summary.total_bytes;
  if (window.is_bounded()) {
    ARROW_ASSIGN_OR_RAISE(auto chunks, catalog_->ListChunks(topic.id, /*with_stats=*/false));
    ARROW_ASSIGN_OR_RAISE(auto count, read::CountRowsInWindow(store_, chunks, window));
    meta["time_window_info"] = {{"row_count", count.row_count}, {"interval", Interval(count.first_ts, count.last_ts)}};
    out.rows = count.row_count;
  } else {
    meta["time_window_info"] = nullptr;
  }
  DataRequest ticket_request;
  ticket_request.locator.sequence = topic.sequence_name;
  ticket_request.locator.topic = topic.name;
  ticket_request.window = window;
  out.endpoint.ticket = fl::Ticket{EncodeTicket(ticket_request)};
  out.endpoint.app_metadata = meta.dump();
  return out;
}

arrow::Result<fl::FlightInfo> FlightInfoBuilder::ForSequence(const fl::FlightDescriptor& descriptor,
                                                            const DataRequest& request) {
  const std::string& name = request.locator.sequence;
  ARROW_ASSIGN_OR_RAISE(auto seq, catalog_->GetSequence(name));
  ARROW_ASSIGN_OR_RAISE(auto sessions, catalog_->ListSessions(name));
  ARROW_ASSIGN_OR_RAISE(auto topics, catalog_->ListTopics(name));

  OrderedJson sessions_json = OrderedJson::array();
  for (const auto& s : sessions) {
    OrderedJson topic_names = OrderedJson::array();
    for (const auto& t : topics) {
      if (t.session_id == s.id) topic_names.push_back(t.sequence_name + "/" + t.name);
    }
    sessions_json.push_back({{"locator", s.sequence_name + ":" + s.key},
                             {"created_at_ns", s.created_at_ns},
                             {"completed_at_ns", OptionalNs(s.completed_at_ns)},
                             {"locked", s.locked},
                             {"topics", std::move(topic_names)}});
  }
  OrderedJson meta{{"resource_locator", seq.name},
                   {"created_at_ns", seq.created_at_ns},
                   {"user_metadata", MetadataObject(seq.user_metadata_json)},
                   {"sessions", std::move(sessions_json)}};

  std::vector<fl::FlightEndpoint> endpoints;
  int64_t rows = 0, bytes = 0;
  for (const auto& t : topics) {
    ARROW_ASSIGN_OR_RAISE(auto ep, TopicEndpoint(t, request.window));
    rows += ep.rows;
    bytes += ep.bytes;
    endpoints.push_back(std::move(ep.endpoint));
  }
  return fl::FlightInfo::Make(*arrow::schema({}), descriptor, endpoints, rows, bytes, false, meta.dump());
}

arrow::Result<fl::FlightInfo> FlightInfoBuilder::ForTopic(const fl::FlightDescriptor& descriptor,
                                                         const DataRequest& request) {
  ARROW_ASSIGN_OR_RAISE(auto topic, catalog_->GetTopic(request.locator.sequence, request.locator.topic));
  ARROW_ASSIGN_OR_RAISE(auto schema, FlightTopicSchema(topic));
  ARROW_ASSIGN_OR_RAISE(auto ep, TopicEndpoint(topic, request.window));
  return fl::FlightInfo::Make(*schema, descriptor, {ep.endpoint}, ep.rows, ep.bytes, /*ordered=*/true,
                              ep.endpoint.app_metadata);
}

}  // namespace mosaico::server
