#include "mosaico/server/flight_info_builder.h"

#include <spdlog/spdlog.h>

#include "mosaico/core/json.h"
#include "mosaico/ingest/schema_check.h"
#include "mosaico/read/topic_stripes.h"
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

arrow::Result<FlightInfoBuilder::TopicEndpoints> FlightInfoBuilder::EndpointsOf(
    const TopicRecord& topic, const catalog::TopicDataSummary& summary, const DataRequest& request) {
  const TimeWindow& window = request.window;
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
  TopicEndpoints out;
  out.rows = summary.total_rows;
  out.bytes = summary.total_bytes;
  std::optional<std::vector<catalog::ChunkRecord>> chunks;
  if (window.is_bounded()) {
    ARROW_ASSIGN_OR_RAISE(chunks, catalog_->ListChunks(topic.id, /*with_stats=*/false));
    ARROW_ASSIGN_OR_RAISE(auto count, read::CountRowsInWindow(store_, *chunks, window));
    meta["time_window_info"] = {{"row_count", count.row_count}, {"interval", Interval(count.first_ts, count.last_ts)}};
    out.rows = count.row_count;
  } else {
    meta["time_window_info"] = nullptr;
  }
  out.metadata = meta.dump();

  // Striped: one endpoint per slice (read/topic_stripes.h), each a self-contained ticket for its sub-window.
  std::vector<read::Stripe> stripes{read::Stripe{window, out.bytes}};
  if (request.stripes > 1 && topic.schema_ipc && summary.total_chunks > 0) {
    if (!chunks) {
      ARROW_ASSIGN_OR_RAISE(chunks, catalog_->ListChunks(topic.id, /*with_stats=*/false));
    }
    ARROW_ASSIGN_OR_RAISE(stripes, read::PlanTopicStripes(*store_, *chunks, window, request.stripes, row_group_rows_));
    spdlog::debug("event=stripes_planned topic={}/{} asked={} planned={} chunks={}", topic.sequence_name, topic.name,
                  request.stripes, stripes.size(), chunks->size());
  }
  const bool striped = request.stripes > 1;
  for (size_t i = 0; i < stripes.size(); ++i) {
    DataRequest ticket_request;
    ticket_request.locator.sequence = topic.sequence_name;
    ticket_request.locator.topic = topic.name;
    ticket_request.window = stripes[i].window;
    fl::FlightEndpoint endpoint;
    endpoint.ticket = fl::Ticket{EncodeTicket(ticket_request)};
    if (striped) {
      OrderedJson stripe_meta = meta;
      stripe_meta["stripe"] = {{"index", i},
                               {"count", stripes.size()},
                               {"timestamp_ns_start", OptionalNs(stripes[i].window.start_ns)},
                               {"timestamp_ns_end", OptionalNs(stripes[i].window.end_ns)},
                               {"estimated_bytes", stripes[i].estimated_bytes}};
      endpoint.app_metadata = stripe_meta.dump();
    } else {
      endpoint.app_metadata = out.metadata;
    }
    out.endpoints.push_back(std::move(endpoint));
  }
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

  // All topics' summaries in one catalog call (PostgreSQL: one round trip, not one per topic).
  std::vector<int64_t> topic_ids;
  topic_ids.reserve(topics.size());
  for (const auto& t : topics) topic_ids.push_back(t.id);
  ARROW_ASSIGN_OR_RAISE(auto summaries, catalog_->SummarizeTopics(topic_ids));

  std::vector<fl::FlightEndpoint> endpoints;
  int64_t rows = 0, bytes = 0;
  for (size_t i = 0; i < topics.size(); ++i) {
    const auto& t = topics[i];
    ARROW_ASSIGN_OR_RAISE(auto ep, EndpointsOf(t, summaries[i], request));
    rows += ep.rows;
    bytes += ep.bytes;
    for (auto& e : ep.endpoints) endpoints.push_back(std::move(e));
  }
  ARROW_RETURN_NOT_OK(AddLocations(&endpoints));
  // Striped: a topic's endpoints are consecutive and must be concatenated in order.
  return fl::FlightInfo::Make(*arrow::schema({}), descriptor, endpoints, rows, bytes, /*ordered=*/request.stripes > 1,
                              meta.dump());
}

arrow::Result<fl::FlightInfo> FlightInfoBuilder::ForTopic(const fl::FlightDescriptor& descriptor,
                                                         const DataRequest& request) {
  ARROW_ASSIGN_OR_RAISE(auto topic, catalog_->GetTopic(request.locator.sequence, request.locator.topic));
  ARROW_ASSIGN_OR_RAISE(auto schema, FlightTopicSchema(topic));
  ARROW_ASSIGN_OR_RAISE(auto summary, catalog_->SummarizeTopic(topic.id));
  ARROW_ASSIGN_OR_RAISE(auto ep, EndpointsOf(topic, summary, request));
  ARROW_RETURN_NOT_OK(AddLocations(&ep.endpoints));
  return fl::FlightInfo::Make(*schema, descriptor, ep.endpoints, ep.rows, ep.bytes, /*ordered=*/true, ep.metadata);
}

arrow::Status FlightInfoBuilder::AddLocations(std::vector<fl::FlightEndpoint>* endpoints) const {
  if (!peers_ || endpoints->empty()) return arrow::Status::OK();
  const auto locations = peers_->Locations(endpoints->size());
  if (locations.empty()) return arrow::Status::OK();
  for (size_t i = 0; i < endpoints->size(); ++i) {
    for (const auto& uri : locations[i]) {
      ARROW_ASSIGN_OR_RAISE(auto location, fl::Location::Parse(uri));
      (*endpoints)[i].locations.push_back(std::move(location));
    }
  }
  return arrow::Status::OK();
}

}  // namespace mosaico::server
