#include "mosaico/query/ontology_evaluator.h"

#include <algorithm>
#include <numeric>
#include <sstream>

#include "mosaico/core/errors.h"
#include "mosaico/query/chunk_scan.h"
#include "mosaico/query/condition_evaluator.h"
#include "mosaico/query/stats_pruning.h"
#include "mosaico/query/windows.h"
#include "mosaico/read/read_plan.h"

namespace mosaico::query {

void EvalCounters::Add(const EvalCounters& o) {
  topics += o.topics;
  topics_decided_by_schema += o.topics_decided_by_schema;
  chunks_total += o.chunks_total;
  chunks_pruned_by_time += o.chunks_pruned_by_time;
  chunks_pruned_by_stats += o.chunks_pruned_by_stats;
  chunks_not_needed += o.chunks_not_needed;
  chunks_from_catalog += o.chunks_from_catalog;
  chunks_read += o.chunks_read;
  row_groups_total += o.row_groups_total;
  row_groups_pruned += o.row_groups_pruned;
  row_groups_not_needed += o.row_groups_not_needed;
  row_groups_read += o.row_groups_read;
  rows_evaluated += o.rows_evaluated;
  rows_matched += o.rows_matched;
}

std::string EvalCounters::ToString() const {
  std::ostringstream s;
  s << "topics=" << topics << " topics_decided_by_schema=" << topics_decided_by_schema
    << " chunks_total=" << chunks_total << " chunks_pruned_by_time=" << chunks_pruned_by_time
    << " chunks_pruned_by_stats=" << chunks_pruned_by_stats << " chunks_not_needed=" << chunks_not_needed
    << " chunks_from_catalog=" << chunks_from_catalog << " chunks_read=" << chunks_read
    << " row_groups_total=" << row_groups_total << " row_groups_pruned=" << row_groups_pruned
    << " row_groups_not_needed=" << row_groups_not_needed << " row_groups_read=" << row_groups_read
    << " rows_evaluated=" << rows_evaluated << " rows_matched=" << rows_matched;
  return s.str();
}

namespace {

void Extend(std::optional<Window>* acc, const Window& w) {
  if (!*acc) {
    *acc = w;
    return;
  }
  (*acc)->start_ns = std::min((*acc)->start_ns, w.start_ns);
  (*acc)->end_ns = std::max((*acc)->end_ns, w.end_ns);
}

class TopicEvaluation {
 public:
  TopicEvaluation(store::ObjectStore& store, const TopicData& topic, const EvalRequest& request,
                  EvalCounters* counters)
      : store_(store), topic_(topic), request_(request), counters_(counters) {}

  arrow::Result<EvalResult> Run(const std::vector<OntologyCondition>& conditions) {
    ++counters_->topics;
    counters_->chunks_total += static_cast<int64_t>(topic_.chunks.size());
    EvalResult result;
    if (!topic_.schema) return result;  // never received data
    for (const auto& c : conditions) {
      switch (ClassifyForSchema(*topic_.schema, c)) {
        case StaticOutcome::kAlwaysFalse:
          ++counters_->topics_decided_by_schema;
          return result;
        case StaticOutcome::kAlwaysTrue:
          break;
        case StaticOutcome::kDynamic:
          active_.emplace_back(&c);
          break;
      }
    }
    std::vector<const catalog::ChunkRecord*> candidates;
    for (const auto& chunk : topic_.chunks) {
      if (chunk.row_count <= 0 || (request_.ts_range && !request_.ts_range->Overlaps(chunk.ts_min, chunk.ts_max))) {
        ++counters_->chunks_pruned_by_time;
      } else if (!MayMatchChunk(chunk)) {
        ++counters_->chunks_pruned_by_stats;
      } else {
        candidates.push_back(&chunk);
      }
    }
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const catalog::ChunkRecord* a, const catalog::ChunkRecord* b) { return a->ts_min < b->ts_min; });
    switch (request_.output) {
      case EvalRequest::Output::kRange: {
        ARROW_ASSIGN_OR_RAISE(result.range, FindRange(candidates));
        break;
      }
      case EvalRequest::Output::kWindows: {
        if (request_.clustering_dt_ns == 0) {
          ARROW_ASSIGN_OR_RAISE(auto range, FindRange(candidates));
          if (range) result.windows.push_back(*range);
        } else {
          ARROW_ASSIGN_OR_RAISE(result.windows, FindWindows(candidates));
        }
        break;
      }
      case EvalRequest::Output::kTimestamps: {
        for (const auto* chunk : candidates) {
          ARROW_ASSIGN_OR_RAISE(auto ts, AllMatches(*chunk));
          result.timestamps.insert(result.timestamps.end(), ts.begin(), ts.end());
        }
        std::sort(result.timestamps.begin(), result.timestamps.end());
        break;
      }
    }
    return result;
  }

 private:
  // Catalog statistics of the conditions' leaves: false when some condition holds on no row of the chunk.
  bool MayMatchChunk(const catalog::ChunkRecord& chunk) const {
    if (!request_.use_statistics) return true;
    for (const auto& c : active_) {
      const std::string column = c.condition().StatsColumn();
      if (column.empty()) continue;
      const catalog::ColumnStats* found = nullptr;
      for (const auto& s : chunk.stats) {
        if (s.column == column) {
          found = &s;
          break;
        }
      }
      LeafStats stats;
      if (found) {
        stats = FromColumnStats(*found, chunk.row_count);
      } else if (column == read::kTimestampColumn) {
        stats.row_count = chunk.row_count;
        stats.null_count = 0;
        stats.min = chunk.ts_min;
        stats.max = chunk.ts_max;
      } else {
        continue;  // unknown
      }
      if (!MayMatch(c.condition().predicate, stats)) return false;
    }
    return true;
  }

  // Every row of the chunk matches and lies in the range: its catalog [ts_min, ts_max] is the answer.
  bool AnsweredByCatalog(const catalog::ChunkRecord& chunk) const {
    return active_.empty() && (!request_.ts_range || request_.ts_range->Covers(chunk.ts_min, chunk.ts_max));
  }

  arrow::Status CheckCancelled() const {
    if (request_.cancelled && request_.cancelled()) return arrow::Status::Cancelled("query cancelled");
    return arrow::Status::OK();
  }

  arrow::Result<std::vector<int64_t>> EvalRowGroup(ChunkScan& scan, int rg) {
    ARROW_RETURN_NOT_OK(CheckCancelled());
    return scan.EvalRowGroup(rg);
  }

  arrow::Result<ChunkScan> Open(const catalog::ChunkRecord& chunk) {
    ARROW_RETURN_NOT_OK(CheckCancelled());
    return ChunkScan::Open(store_, chunk, &active_, request_.ts_range, request_.use_statistics, request_.read_options,
                           counters_);
  }

  arrow::Result<std::vector<int64_t>> AllMatches(const catalog::ChunkRecord& chunk) {
    ARROW_ASSIGN_OR_RAISE(auto scan, Open(chunk));
    std::vector<int64_t> out;
    for (int rg : scan.row_groups()) {
      ARROW_ASSIGN_OR_RAISE(auto ts, EvalRowGroup(scan, rg));
      out.insert(out.end(), ts.begin(), ts.end());
    }
    return out;
  }

  // [first, last] matching timestamp of one chunk: row groups from the front until one matches, then from the back.
  arrow::Result<std::optional<Window>> ChunkRange(const catalog::ChunkRecord& chunk) {
    if (AnsweredByCatalog(chunk)) {
      ++counters_->chunks_from_catalog;
      return std::optional<Window>(Window{chunk.ts_min, chunk.ts_max});
    }
    ARROW_ASSIGN_OR_RAISE(auto scan, Open(chunk));
    const auto& rgs = scan.row_groups();
    std::optional<Window> out;
    size_t lo = 0;
    for (; lo < rgs.size() && !out; ++lo) {
      ARROW_ASSIGN_OR_RAISE(auto ts, EvalRowGroup(scan, rgs[lo]));
      if (!ts.empty()) out = Window{ts.front(), ts.back()};
    }
    size_t hi = rgs.size();
    bool found_last = false;
    for (; out && hi > lo && !found_last; --hi) {
      ARROW_ASSIGN_OR_RAISE(auto ts, EvalRowGroup(scan, rgs[hi - 1]));
      if (!ts.empty()) {
        out->end_ns = std::max(out->end_ns, ts.back());
        found_last = true;
      }
    }
    counters_->row_groups_not_needed += static_cast<int64_t>(hi - lo);
    return out;
  }

  arrow::Result<std::optional<Window>> FindRange(const std::vector<const catalog::ChunkRecord*>& chunks) {
    std::optional<Window> best;
    std::vector<bool> done(chunks.size(), false);
    // The minimum: chunks by ts_min (the input order) until no chunk can start earlier than the best match.
    for (size_t i = 0; i < chunks.size(); ++i) {
      if (best && chunks[i]->ts_min >= best->start_ns) break;
      ARROW_ASSIGN_OR_RAISE(auto r, ChunkRange(*chunks[i]));
      done[i] = true;
      if (r) Extend(&best, *r);
    }
    // The maximum: chunks by ts_max descending until no chunk can end later than the best match.
    std::vector<size_t> by_max(chunks.size());
    std::iota(by_max.begin(), by_max.end(), 0);
    std::stable_sort(by_max.begin(), by_max.end(),
                     [&](size_t a, size_t b) { return chunks[a]->ts_max > chunks[b]->ts_max; });
    for (size_t i : by_max) {
      if (done[i]) continue;
      if (best && chunks[i]->ts_max <= best->end_ns) break;
      ARROW_ASSIGN_OR_RAISE(auto r, ChunkRange(*chunks[i]));
      done[i] = true;
      if (r) Extend(&best, *r);
    }
    counters_->chunks_not_needed += std::count(done.begin(), done.end(), false);
    return best;
  }

  arrow::Result<std::vector<Window>> FindWindows(const std::vector<const catalog::ChunkRecord*>& chunks) {
    const int64_t dt = request_.clustering_dt_ns;
    std::vector<Window> windows;
    for (const auto* chunk : chunks) {
      ARROW_ASSIGN_OR_RAISE(auto ts, AllMatches(*chunk));
      auto local = ClusterTimestamps(ts, dt);
      windows.insert(windows.end(), local.begin(), local.end());
      if (windows.size() > 4096) windows = MergeWindows(std::move(windows), dt);  // bound memory on overlaps
    }
    return MergeWindows(std::move(windows), dt);
  }

  store::ObjectStore& store_;
  const TopicData& topic_;
  const EvalRequest& request_;
  EvalCounters* counters_;
  std::vector<ConditionEvaluator> active_;
};

}  // namespace

arrow::Result<EvalResult> EvaluateTopic(store::ObjectStore& store, const TopicData& topic,
                                        const std::vector<OntologyCondition>& conditions, const EvalRequest& request,
                                        EvalCounters* counters) {
  EvalCounters local;
  if (!counters) counters = &local;
  TopicEvaluation evaluation(store, topic, request, counters);
  auto result = evaluation.Run(conditions);
  if (!result.ok()) return WithContext(result.status(), "query on topic '" + topic.locator + "'");
  return result;
}

}  // namespace mosaico::query
