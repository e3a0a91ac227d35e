// Query actions (docs/QUERY.md): `query` (one result), `topic_filter_clusterize` and `topic_filter_intersect`
// (one result per window, ids 0.. in time order; no result at all when there is no window). The work is done by
// query::QueryEngine over the lifecycle's catalog and store; errors keep their kind (INVALID_ARGUMENT for a bad
// body, NOT_FOUND for an unknown topic). Bodies are parsed by query::ParseRequestJson, so that an integer beyond
// 64 bits is refused with a message naming the key it belongs to.
#include "mosaico/server/actions/action_registry.h"

#include "mosaico/query/query_engine.h"
#include "mosaico/query/request_json.h"

namespace mosaico::server {
namespace {

query::QueryEngine EngineOf(const ActionContext& ctx) {
  query::QueryOptions options;
  options.use_statistics = ctx.config->query_pruning;
  options.cancelled = ctx.is_cancelled;
  return query::QueryEngine(ctx.lifecycle->catalog(), ctx.lifecycle->store(), options);
}

std::vector<OrderedJson> WindowReplies(const std::vector<query::Window>& windows) {
  std::vector<OrderedJson> out;
  out.reserve(windows.size());
  for (size_t i = 0; i < windows.size(); ++i) out.push_back(query::WindowReply(windows[i], static_cast<int64_t>(i)));
  return out;
}

// Written as text: a reply can list a million topics (query::AppendQueryResponseJson).
arrow::Status Query(const ActionContext& ctx, const Json& body, std::string* out) {
  return EngineOf(ctx).AppendQueryResponse(body, out);
}

arrow::Result<std::vector<OrderedJson>> Clusterize(const ActionContext& ctx, const Json& body) {
  ARROW_ASSIGN_OR_RAISE(auto windows, EngineOf(ctx).Clusterize(body));
  return WindowReplies(windows);
}

arrow::Result<std::vector<OrderedJson>> Intersect(const ActionContext& ctx, const Json& body) {
  ARROW_ASSIGN_OR_RAISE(auto windows, EngineOf(ctx).Intersect(body));
  return WindowReplies(windows);
}

}  // namespace

void RegisterQueryActions(ActionRegistry* r) {
  r->Register({"query",
               "Find topics by sequence, topic and ontology (data) conditions: {sequence?, topic?, ontology?} -> "
               "{items: [{sequence, topics: [{locator, ontology_tag, timestamp_range}]}]}.",
               nullptr, nullptr, query::ParseRequestJson, {}, Query}, auth::Permission::kRead);
  r->Register({"topic_filter_clusterize",
               "Time windows where a topic's rows satisfy ontology conditions: {locator, clustering_dt_ns, ontology, "
               "timestamp_range} -> one {ts: {start_ns, end_ns}, id} per window.",
               nullptr, Clusterize, query::ParseRequestJson}, auth::Permission::kRead);
  r->Register({"topic_filter_intersect",
               "Time windows where several topics' clusters overlap: {topics: [clusterize bodies], intersect_dt_ns} "
               "-> one {ts: {start_ns, end_ns}, id} per window.",
               nullptr, Intersect, query::ParseRequestJson}, auth::Permission::kRead);
}

}  // namespace mosaico::server
