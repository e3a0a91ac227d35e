#include "mosaico/client/query.h"

namespace mosaico::client {
namespace detail {

nlohmann::json CatalogQuery::ToJson() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, op] : fields_) out[key][op.name] = op.value;
  if (!user_metadata_.empty()) {
    auto& md = out["user_metadata"];
    for (const auto& [key, op] : user_metadata_) md[key][op.name] = op.value;
  }
  return out;
}

void CatalogQuery::AddCreated(std::optional<int64_t> start_ns, std::optional<int64_t> end_ns) {
  // As the SDK's with_created_timestamp (which treats 0 as unset too).
  const bool has_start = start_ns && *start_ns != 0;
  const bool has_end = end_ns && *end_ns != 0;
  if (has_start && !has_end) Add("created_at_ns", Op::Geq(*start_ns));
  else if (has_end && !has_start) Add("created_at_ns", Op::Leq(*end_ns));
  else if (has_start && has_end) Add("created_at_ns", Op::Between(*start_ns, *end_ns));
}

}  // namespace detail

QueryTopic& QueryTopic::WithName(const std::string& name) {
  Add("name", Op::Eq(!name.empty() && name.front() == '/' ? name : "/" + name));
  return *this;
}

nlohmann::json QueryOntology::ToJson() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, op] : conditions_) out[key][op.name] = op.value;
  return out;
}

nlohmann::json Query::ToJson() const {
  nlohmann::json out = nlohmann::json::object();
  if (!sequence.empty()) out["sequence"] = sequence.ToJson();
  if (!topic.empty()) out["topic"] = topic.ToJson();
  if (!ontology.empty()) out["ontology"] = ontology.ToJson();
  return out;
}

nlohmann::json ClusterizeRequest::ToJson(bool include_timestamp_range) const {
  nlohmann::json out = {{"locator", locator}, {"clustering_dt_ns", clustering_dt_ns}, {"ontology", ontology.ToJson()}};
  if (include_timestamp_range) {
    out["timestamp_range"] = timestamp_range
                                 ? nlohmann::json{{"start_ns", timestamp_range->start_ns},
                                                  {"end_ns", timestamp_range->end_ns}}
                                 : nlohmann::json();
  }
  return out;
}

nlohmann::json IntersectRequest::ToJson() const {
  nlohmann::json topics_json = nlohmann::json::array();
  for (const auto& t : topics) topics_json.push_back(t.ToJson(/*include_timestamp_range=*/false));
  return {{"topics", topics_json}, {"intersect_dt_ns", intersect_dt_ns}};
}

}  // namespace mosaico::client
