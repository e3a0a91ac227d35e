// SqliteCatalog: queries. FindTopics runs one SELECT built by sqlite/filter_sql.h, with the SQL functions of
// sqlite/query_functions.h registered on the connection on first use; SchemasOfOntologyTag is a plain lookup.
#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "mosaico/catalog/sqlite/filter_sql.h"
#include "mosaico/catalog/sqlite/query_functions.h"
#include "mosaico/catalog/sqlite/sqlite_catalog.h"
#include "mosaico/catalog/sqlite/sqlite_util.h"

namespace mosaico::catalog {

using sqlite::Statement;

namespace {


arrow::Status BindParam(sqlite3* db, sqlite3_stmt* stmt, int index, const sqlite::SqlParam& param) {
  int rc = SQLITE_OK;
  if (const auto* i = std::get_if<int64_t>(&param)) {
    rc = sqlite3_bind_int64(stmt, index, *i);
  } else if (const auto* d = std::get_if<double>(&param)) {
    rc = sqlite3_bind_double(stmt, index, *d);
  } else if (const auto* s = std::get_if<std::string>(&param)) {
    rc = sqlite3_bind_text64(stmt, index, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  } else {
    const auto& p = std::get<sqlite::PointerParam>(param);
    rc = sqlite3_bind_pointer(stmt, index, p.pointer, p.type, nullptr);
  }
  if (rc != SQLITE_OK) return sqlite::SqliteError(db, rc, "bind query parameter");
  return arrow::Status::OK();
}

TopicMatch ReadMatch(const Statement& row) {
  TopicMatch m;
  m.sequence_id = row.Int64(0);
  m.sequence_name = row.Text(1);
  m.topic_id = row.Int64(2);
  m.topic_name = row.Text(3);
  m.ontology_tag = row.Text(4);
  m.schema_ipc = row.OptBlob(5);
  m.ts_min = row.OptInt64(6);
  m.ts_max = row.OptInt64(7);
  return m;
}

// Orders rows by (sequence name, topic name); std::string compares like memcmp, i.e. as SQLite's BINARY
// collation, and (sequence, topic) names are unique. Rows come grouped by sequence (a sequence-driven join reads
// each sequence's topics together, in name order through the (sequence_id, name, ...) index; a topic-driven one
// reads topics by id, and a session creates a sequence's topics together), so runs of one sequence are sorted
// by their sequence name and the few topics of each run by name, instead of every row: 20k runs instead of 200k
// rows for a 200k-topic answer. A run carries its name's first 16 bytes, so most comparisons never touch the
// (large, cold) rows. A sequence split over several runs falls back to sorting every row's position. Rows are
// then permuted in place, each moved once (no second copy of a result that can hold a million rows).
void SortByName(std::vector<TopicMatch>* rows) {
  std::vector<TopicMatch>& out = *rows;
  const auto by_name = [](const TopicMatch& a, const TopicMatch& b) {
    const int by_sequence = a.sequence_name.compare(b.sequence_name);
    return by_sequence != 0 ? by_sequence < 0 : a.topic_name < b.topic_name;
  };
  if (std::is_sorted(out.begin(), out.end(), by_name)) return;
  struct Run {
    uint64_t key[2];  // the name's first 16 bytes, big-endian, zero-padded: orders like memcmp where they differ
    uint32_t begin, end;
  };
  const auto make_run = [&](uint32_t i) {
    Run run{{0, 0}, i, i};
    const std::string& name = out[i].sequence_name;
    for (size_t j = 0; j < 16; ++j) {
      const uint64_t byte = j < name.size() ? static_cast<unsigned char>(name[j]) : 0;
      run.key[j / 8] = (run.key[j / 8] << 8) | byte;
    }
    return run;
  };
  std::vector<Run> runs;
  for (uint32_t i = 0; i < out.size(); ++i) {
    if (i == 0 || out[i].sequence_id != out[i - 1].sequence_id) runs.push_back(make_run(i));
    runs.back().end = i + 1;
  }
  std::sort(runs.begin(), runs.end(), [&](const Run& a, const Run& b) {
    if (a.key[0] != b.key[0]) return a.key[0] < b.key[0];
    if (a.key[1] != b.key[1]) return a.key[1] < b.key[1];
    return out[a.begin].sequence_name < out[b.begin].sequence_name;
  });
  bool split = false;
  for (size_t r = 1; r < runs.size() && !split; ++r) {
    split = out[runs[r].begin].sequence_id == out[runs[r - 1].begin].sequence_id;
  }
  std::vector<uint32_t> order(out.size());  // order[k]: the row that goes to position k
  if (split) {
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return by_name(out[a], out[b]); });
  } else {
    size_t k = 0;
    for (const Run& run : runs) {
      const auto first = order.begin() + static_cast<std::ptrdiff_t>(k);
      for (uint32_t i = run.begin; i < run.end; ++i) order[k++] = i;
      const auto last = order.begin() + static_cast<std::ptrdiff_t>(k);
      const auto by_topic = [&](uint32_t a, uint32_t b) { return out[a].topic_name < out[b].topic_name; };
      if (!std::is_sorted(first, last, by_topic)) std::sort(first, last, by_topic);
    }
  }
  // In place, cycle by cycle; a placed position is marked by order[k] = k.
  for (uint32_t k = 0; k < order.size(); ++k) {
    if (order[k] == k) continue;
    TopicMatch held = std::move(out[k]);
    uint32_t j = k;
    while (order[j] != k) {
      const uint32_t from = order[j];
      out[j] = std::move(out[from]);
      order[j] = j;
      j = from;
    }
    out[j] = std::move(held);
    order[j] = j;
  }
}

}  // namespace

arrow::Result<std::vector<TopicMatch>> SqliteCatalog::FindTopics(const TopicFilter& filter) {
  // Built outside the lock: validation errors and SQL text need no database.
  ARROW_ASSIGN_OR_RAISE(sqlite::FindTopicsSql query, sqlite::BuildFindTopicsSql(filter));

  std::vector<TopicMatch> out;
  {  // the connection is held while the statement runs, not while its rows are sorted
    std::lock_guard lock(mu_);
    sqlite3* db = conn_->handle();
    if (!query_functions_registered_) {
      ARROW_RETURN_NOT_OK(sqlite::RegisterQueryFunctions(db));
      query_functions_registered_ = true;
    }
    // The SQL text varies with the filter's shape, so it bypasses the connection's statement cache.
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v2(db, query.sql.c_str(), static_cast<int>(query.sql.size() + 1), &raw, nullptr);
    if (rc != SQLITE_OK) return sqlite::SqliteError(db, rc, "prepare", query.sql);
    Statement stmt(db, raw, /*in_use=*/nullptr, /*owned=*/true);  // finalizes `raw`
    for (size_t i = 0; i < query.params.size(); ++i) {
      ARROW_RETURN_NOT_OK(BindParam(db, raw, static_cast<int>(i + 1), query.params[i]));
    }
    while (true) {
      ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
      if (!row) break;
      out.push_back(ReadMatch(stmt));
    }
  }
  SortByName(&out);
  return out;
}

arrow::Result<std::vector<std::string>> SqliteCatalog::SchemasOfOntologyTag(const std::string& ontology_tag) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Statement stmt, conn_->Prepare("SELECT DISTINCT schema_ipc FROM topics "
                                                       "WHERE ontology_tag = ? AND schema_ipc IS NOT NULL"));
  ARROW_RETURN_NOT_OK(stmt.BindAll(ontology_tag));
  std::vector<std::string> out;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
    if (!row) break;
    out.push_back(stmt.BlobBytes(0));
  }
  return out;
}

}  // namespace mosaico::catalog
