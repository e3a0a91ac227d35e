// Query builders: the same JSON as the Python SDK's QuerySequence / QueryTopic / QueryOntologyCatalog / Query
// (mosaicolabs.query.builders), so a query written here and there asks the server the same thing
// (tests/integration/test_cpp_client.py compares them).
//
//   Query q;
//   q.sequence.WithNameMatch("run_*").WithUserMetadata("robot.id", Op::Eq("r7"));
//   q.topic.WithOntologyTag("IMU");
//   q.ontology.With(models::IMU(), "acceleration.x", Op::Gt(5.0));
//   auto result = client.RunQuery(q);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "mosaico/client/model.h"
#include "mosaico/client/types.h"

namespace mosaico::client {

/// One operator with its operand: {"$gt": 5.0}.
struct Op {
  std::string name;        ///< "$eq", "$neq", "$lt", "$leq", "$gt", "$geq", "$between", "$outside", "$in", "$match"
  nlohmann::json value;

  static Op Eq(nlohmann::json v) { return {"$eq", std::move(v)}; }
  static Op Neq(nlohmann::json v) { return {"$neq", std::move(v)}; }
  static Op Lt(nlohmann::json v) { return {"$lt", std::move(v)}; }
  static Op Leq(nlohmann::json v) { return {"$leq", std::move(v)}; }
  static Op Gt(nlohmann::json v) { return {"$gt", std::move(v)}; }
  static Op Geq(nlohmann::json v) { return {"$geq", std::move(v)}; }
  static Op Between(nlohmann::json lo, nlohmann::json hi) { return {"$between", nlohmann::json::array({lo, hi})}; }
  static Op Outside(nlohmann::json lo, nlohmann::json hi) { return {"$outside", nlohmann::json::array({lo, hi})}; }
  static Op In(nlohmann::json values) { return {"$in", std::move(values)}; }
  static Op Match(std::string glob) { return {"$match", std::move(glob)}; }
};

namespace detail {
/// Shared by QuerySequence and QueryTopic: name, created_at_ns, user_metadata conditions.
class CatalogQuery {
 public:
  bool empty() const { return fields_.empty() && user_metadata_.empty(); }
  nlohmann::json ToJson() const;

 protected:
  void Add(const std::string& key, Op op) { fields_.emplace_back(key, std::move(op)); }
  void AddMetadata(const std::string& key, Op op) { user_metadata_.emplace_back(key, std::move(op)); }
  void AddCreated(std::optional<int64_t> start_ns, std::optional<int64_t> end_ns);

 private:
  std::vector<std::pair<std::string, Op>> fields_;
  std::vector<std::pair<std::string, Op>> user_metadata_;
};
}  // namespace detail

class QuerySequence : public detail::CatalogQuery {
 public:
  QuerySequence& WithName(const std::string& name) { Add("name", Op::Eq(name)); return *this; }
  QuerySequence& WithNameMatch(const std::string& glob) { Add("name", Op::Match(glob)); return *this; }
  /// `key` may be dotted ("robot.id") and is kept as one string, as the SDK does.
  QuerySequence& WithUserMetadata(const std::string& key, Op op) { AddMetadata(key, std::move(op)); return *this; }
  /// created_at_ns >= start, <= end, or between both (inclusive), as the SDK's with_created_timestamp.
  QuerySequence& WithCreatedTimestamp(std::optional<int64_t> start_ns, std::optional<int64_t> end_ns) {
    AddCreated(start_ns, end_ns); return *this;
  }
};

class QueryTopic : public detail::CatalogQuery {
 public:
  /// Topic names as the SDK shows them, with a leading "/" (added when missing).
  QueryTopic& WithName(const std::string& name);
  QueryTopic& WithNameMatch(const std::string& glob) { Add("name", Op::Match(glob)); return *this; }
  QueryTopic& WithOntologyTag(const std::string& tag) { Add("ontology_tag", Op::Eq(tag)); return *this; }
  QueryTopic& WithUserMetadata(const std::string& key, Op op) { AddMetadata(key, std::move(op)); return *this; }
  QueryTopic& WithCreatedTimestamp(std::optional<int64_t> start_ns, std::optional<int64_t> end_ns) {
    AddCreated(start_ns, end_ns); return *this;
  }
};

/// Conditions on the data of topics: keys "<ontology_tag>.<field path>" ("IMU.acceleration.x", "IMU.timestamp_ns").
class QueryOntology {
 public:
  QueryOntology& With(const Model& model, const std::string& field_path, Op op) {
    return With(model.ontology_tag + "." + field_path, std::move(op));
  }
  QueryOntology& With(const std::string& key, Op op) { conditions_.emplace_back(key, std::move(op)); return *this; }
  bool empty() const { return conditions_.empty(); }
  nlohmann::json ToJson() const;

 private:
  std::vector<std::pair<std::string, Op>> conditions_;
};

/// The `query` action's body: the non-empty parts, ANDed.
struct Query {
  QuerySequence sequence;
  QueryTopic topic;
  QueryOntology ontology;
  nlohmann::json ToJson() const;
};

/// topic_filter_clusterize on one topic: windows of consecutive rows matching `ontology` with gaps <= dt.
struct ClusterizeRequest {
  std::string locator;                 ///< "<sequence>/<topic>"
  QueryOntology ontology;
  int64_t clustering_dt_ns = 0;
  std::optional<Interval> timestamp_range;
  nlohmann::json ToJson(bool include_timestamp_range = true) const;
};

/// topic_filter_intersect: windows where every topic's filter matches, within `intersect_dt_ns`.
struct IntersectRequest {
  std::vector<ClusterizeRequest> topics;   ///< >= 2, same sequence
  int64_t intersect_dt_ns = 0;
  nlohmann::json ToJson() const;
};

}  // namespace mosaico::client
