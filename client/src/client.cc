#include "mosaico/client/client.h"

#include <arrow/flight/client.h>
#include <arrow/ipc/dictionary.h>

#include "core.h"
#include "locators.h"
#include "reader.h"

namespace mosaico::client {
namespace fl = arrow::flight;
namespace {

std::optional<int64_t> OptInt(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number_integer()) return std::nullopt;
  return j[key].get<int64_t>();
}

std::optional<Interval> OptInterval(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("start_ns") || !j.contains("end_ns")) return std::nullopt;
  return Interval{j["start_ns"].get<int64_t>(), j["end_ns"].get<int64_t>()};
}

nlohmann::json Metadata(const nlohmann::json& j) {
  if (j.is_object() && j.contains("user_metadata") && j["user_metadata"].is_object()) return j["user_metadata"];
  return nlohmann::json::object();
}

arrow::Result<TopicInfo> TopicFromEndpoint(const fl::FlightEndpoint& ep) {
  ARROW_ASSIGN_OR_RAISE(auto j, ParseJson(ep.app_metadata, "endpoint app_metadata"));
  TopicInfo t;
  t.locator = j.value("resource_locator", "");
  t.ontology_tag = j.value("ontology_tag", "");
  t.serialization_format = j.value("serialization_format", "");
  t.created_at_ns = OptInt(j, "created_at_ns").value_or(0);
  t.completed_at_ns = OptInt(j, "completed_at_ns");
  t.locked = j.value("locked", false);
  t.user_metadata = Metadata(j);
  if (j.contains("data_info") && j["data_info"].is_object()) {
    const auto& d = j["data_info"];
    t.total_bytes = OptInt(d, "total_bytes").value_or(0);
    t.total_row_count = OptInt(d, "total_row_count").value_or(0);
    if (d.contains("interval")) t.interval = OptInterval(d["interval"]);
  }
  if (j.contains("time_window_info") && j["time_window_info"].is_object()) {
    t.window_row_count = OptInt(j["time_window_info"], "row_count");
  }
  return t;
}

nlohmann::json Command(const std::string& locator, const TimeWindow& window, int stripes) {
  nlohmann::json cmd = {{"resource_locator", locator}};
  if (window.start_ns) cmd["timestamp_ns_start"] = *window.start_ns;
  if (window.end_ns) cmd["timestamp_ns_end"] = *window.end_ns;
  if (stripes > 1) cmd["stripes"] = stripes;
  return cmd;
}

std::string ResourceOf(const fl::FlightEndpoint& ep) {
  auto j = nlohmann::json::parse(ep.app_metadata, nullptr, false);
  return j.is_object() ? j.value("resource_locator", "") : "";
}

}  // namespace

Client::Client(std::shared_ptr<ClientCore> core) : core_(std::move(core)) {}

arrow::Result<Client> Client::Connect(ConnectOptions options) {
  ARROW_ASSIGN_OR_RAISE(auto core, ClientCore::Open(std::move(options)));
  return Client(std::move(core));
}

arrow::Result<Client> Client::Connect(const std::string& uri) {
  ConnectOptions options;
  options.uri = uri;
  return Connect(std::move(options));
}

const ServerInfo& Client::server_info() const { return core_->server_info(); }
const ConnectOptions& Client::options() const { return core_->options(); }

arrow::Result<nlohmann::json> Client::Action(const std::string& name, const nlohmann::json& body) const {
  return core_->Action(name, body);
}

// -- reading -------------------------------------------------------------------------------------------------------

arrow::Result<std::vector<SequenceSummary>> Client::ListSequences() const {
  auto listing = core_->flight().ListFlights(core_->CallOptions(), fl::Criteria{});
  if (!listing.ok()) return Annotate(listing.status(), "ListFlights");
  std::vector<SequenceSummary> out;
  while (true) {
    auto next = (*listing)->Next();
    if (!next.ok()) return Annotate(next.status(), "ListFlights");
    if (*next == nullptr) break;
    const auto& info = **next;
    SequenceSummary s;
    if (!info.descriptor().path.empty()) s.name = info.descriptor().path.front();
    auto j = nlohmann::json::parse(info.app_metadata(), nullptr, false);
    if (j.is_object()) {
      if (s.name.empty()) s.name = j.value("resource_locator", "");
      s.created_at_ns = OptInt(j, "created_at_ns").value_or(0);
      s.user_metadata = Metadata(j);
    }
    out.push_back(std::move(s));
  }
  return out;
}

arrow::Result<SequenceInfo> Client::DescribeSequence(const std::string& name, const TimeWindow& window) const {
  const std::string seq = NormalizeTopic(name);
  ARROW_ASSIGN_OR_RAISE(auto info, core_->GetFlightInfo(Command(seq, window, 1)));
  ARROW_ASSIGN_OR_RAISE(auto j, ParseJson(info->app_metadata(), "sequence '" + seq + "' app_metadata"));
  SequenceInfo s;
  s.name = j.value("resource_locator", seq);
  s.created_at_ns = OptInt(j, "created_at_ns").value_or(0);
  s.user_metadata = Metadata(j);
  if (j.contains("sessions") && j["sessions"].is_array()) {
    for (const auto& sj : j["sessions"]) {
      SessionInfo si;
      si.locator = sj.value("locator", "");
      si.created_at_ns = OptInt(sj, "created_at_ns").value_or(0);
      si.completed_at_ns = OptInt(sj, "completed_at_ns");
      si.locked = sj.value("locked", false);
      if (sj.contains("topics") && sj["topics"].is_array()) {
        for (const auto& t : sj["topics"]) si.topics.push_back(t.get<std::string>());
      }
      s.sessions.push_back(std::move(si));
    }
  }
  for (const auto& ep : info->endpoints()) {
    ARROW_ASSIGN_OR_RAISE(auto t, TopicFromEndpoint(ep));
    if (!s.topics.empty() && s.topics.back().locator == t.locator) continue;  // further stripes of one topic
    s.topics.push_back(std::move(t));
  }
  return s;
}

arrow::Result<TopicInfo> Client::DescribeTopic(const std::string& locator, const TimeWindow& window) const {
  const std::string loc = NormalizeTopic(locator);
  if (loc.find('/') == std::string::npos) {
    return arrow::Status::Invalid("topic locator '", locator, "' must be <sequence>/<topic>");
  }
  ARROW_ASSIGN_OR_RAISE(auto info, core_->GetFlightInfo(Command(loc, window, 1)));
  if (info->endpoints().empty()) return arrow::Status::Invalid("topic '", loc, "': no endpoint in the reply");
  ARROW_ASSIGN_OR_RAISE(auto t, TopicFromEndpoint(info->endpoints().front()));
  arrow::ipc::DictionaryMemo memo;
  auto schema = info->GetSchema(&memo);
  if (schema.ok()) t.schema = *schema;
  return t;
}

namespace {
// GetFlightInfo with stripes; a server that does not know the field is asked again without it.
arrow::Result<std::unique_ptr<fl::FlightInfo>> InfoForRead(ClientCore& core, const std::string& loc,
                                                           const ReadOptions& options) {
  auto info = core.GetFlightInfo(Command(loc, options.window, options.stripes));
  if (!info.ok() && options.stripes > 1 && info.status().IsInvalid() &&
      info.status().message().find("stripes") != std::string::npos) {
    return core.GetFlightInfo(Command(loc, options.window, 1));
  }
  return info;
}
}  // namespace

arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> Client::ReadTopic(const std::string& locator,
                                                                           const ReadOptions& options) const {
  const std::string loc = NormalizeTopic(locator);
  if (loc.find('/') == std::string::npos) {
    return arrow::Status::Invalid("topic locator '", locator, "' must be <sequence>/<topic>");
  }
  ARROW_ASSIGN_OR_RAISE(auto info, InfoForRead(*core_, loc, options));
  arrow::ipc::DictionaryMemo memo;
  std::shared_ptr<arrow::Schema> schema;
  auto s = info->GetSchema(&memo);
  if (s.ok()) schema = *s;
  std::vector<fl::Ticket> tickets;
  for (const auto& ep : info->endpoints()) tickets.push_back(ep.ticket);
  return OpenStripedReader(core_, std::move(tickets), std::move(schema), options.prefetch_batches,
                           "DoGet topic '" + loc + "'");
}

arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> Client::ReadSequence(const std::string& name,
                                                                              const ReadOptions& options) const {
  const std::string seq = NormalizeTopic(name);
  if (seq.empty() || seq.find('/') != std::string::npos) {
    return arrow::Status::Invalid("sequence name '", name, "' must be one segment");
  }
  ARROW_ASSIGN_OR_RAISE(auto info, InfoForRead(*core_, seq, options));
  std::vector<MergeInput> inputs;
  std::vector<fl::Ticket> tickets;
  std::string current;
  auto flush = [&]() -> arrow::Status {
    if (tickets.empty()) return arrow::Status::OK();
    ARROW_ASSIGN_OR_RAISE(auto reader, OpenStripedReader(core_, std::move(tickets), nullptr,
                                                         options.prefetch_batches, "DoGet topic '" + current + "'"));
    inputs.push_back({TopicNameOf(current), std::move(reader)});
    tickets.clear();
    return arrow::Status::OK();
  };
  for (const auto& ep : info->endpoints()) {
    std::string loc = ResourceOf(ep);
    if (loc != current) {
      ARROW_RETURN_NOT_OK(flush());
      current = loc;
    }
    tickets.push_back(ep.ticket);
  }
  ARROW_RETURN_NOT_OK(flush());
  return OpenMergedReader(std::move(inputs));
}

// -- queries ---------------------------------------------------------------------------------------------------------

arrow::Result<QueryResult> Client::RunQuery(const Query& query) const {
  ARROW_ASSIGN_OR_RAISE(auto reply, core_->Action("query", query.ToJson()));
  QueryResult out;
  if (!reply.is_object() || !reply.contains("items") || !reply["items"].is_array()) {
    return arrow::Status::Invalid("query: reply without 'items': ", reply.dump().substr(0, 200));
  }
  for (const auto& item : reply["items"]) {
    QueryItem qi;
    qi.sequence = item.value("sequence", "");
    if (item.contains("topics") && item["topics"].is_array()) {
      for (const auto& t : item["topics"]) {
        QueryTopicResult qt;
        qt.locator = t.value("locator", "");
        qt.ontology_tag = t.value("ontology_tag", "");
        if (t.contains("timestamp_range") && t["timestamp_range"].is_array() && t["timestamp_range"].size() == 2) {
          qt.timestamp_range = Interval{t["timestamp_range"][0].get<int64_t>(), t["timestamp_range"][1].get<int64_t>()};
        }
        qi.topics.push_back(std::move(qt));
      }
    }
    out.items.push_back(std::move(qi));
  }
  return out;
}

namespace {
arrow::Result<std::vector<Cluster>> ParseClusters(const std::vector<nlohmann::json>& replies, const char* what) {
  std::vector<Cluster> out;
  for (const auto& r : replies) {
    if (!r.is_object() || !r.contains("ts") || !r["ts"].is_object()) {
      return arrow::Status::Invalid(what, ": unexpected reply ", r.dump().substr(0, 200));
    }
    Cluster c;
    c.id = r.value("id", int64_t{0});
    c.range = OptInterval(r["ts"]).value_or(Interval{});
    out.push_back(c);
  }
  return out;
}
}  // namespace

arrow::Result<std::vector<Cluster>> Client::Clusterize(const ClusterizeRequest& request) const {
  ARROW_ASSIGN_OR_RAISE(auto replies, core_->ActionAll("topic_filter_clusterize", request.ToJson()));
  return ParseClusters(replies, "topic_filter_clusterize");
}

arrow::Result<std::vector<Cluster>> Client::Intersect(const IntersectRequest& request) const {
  ARROW_ASSIGN_OR_RAISE(auto replies, core_->ActionAll("topic_filter_intersect", request.ToJson()));
  return ParseClusters(replies, "topic_filter_intersect");
}

// -- notifications and deletes -------------------------------------------------------------------------------------

namespace {
const char* Kind(const std::string& locator) {
  return NormalizeTopic(locator).find('/') == std::string::npos ? "sequence" : "topic";
}
}  // namespace

arrow::Status Client::CreateNotification(const std::string& locator, const std::string& message,
                                         const std::string& type) const {
  return core_
      ->Action(std::string(Kind(locator)) + "_notification_create",
               {{"locator", NormalizeTopic(locator)}, {"notification_type", type}, {"msg", message}})
      .status();
}

arrow::Result<std::vector<Notification>> Client::ListNotifications(const std::string& locator) const {
  ARROW_ASSIGN_OR_RAISE(auto reply, core_->Action(std::string(Kind(locator)) + "_notification_list",
                                                  {{"locator", NormalizeTopic(locator)}}));
  std::vector<Notification> out;
  if (reply.is_object() && reply.contains("notifications") && reply["notifications"].is_array()) {
    for (const auto& n : reply["notifications"]) {
      out.push_back({n.value("name", ""), n.value("notification_type", ""), n.value("msg", ""),
                     n.value("created_datetime", "")});
    }
  }
  return out;
}

arrow::Status Client::PurgeNotifications(const std::string& locator) const {
  return core_->Action(std::string(Kind(locator)) + "_notification_purge", {{"locator", NormalizeTopic(locator)}})
      .status();
}

arrow::Status Client::DeleteSequence(const std::string& name) const {
  return core_->Action("sequence_delete", {{"locator", NormalizeTopic(name)}}).status();
}
arrow::Status Client::DeleteSession(const std::string& session_locator) const {
  return core_->Action("session_delete", {{"locator", session_locator}}).status();
}
arrow::Status Client::DeleteTopic(const std::string& locator) const {
  return core_->Action("topic_delete", {{"locator", NormalizeTopic(locator)}}).status();
}

}  // namespace mosaico::client
