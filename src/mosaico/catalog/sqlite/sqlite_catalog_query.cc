// SqliteCatalog: queries. FindTopics runs one SELECT built by sqlite/filter_sql.h, with the SQL functions of
// sqlite/query_functions.h registered on the connection on first use; SchemasOfOntologyTag is a plain lookup.
#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "mosaico/catalog/sqlite/filter_sql.h"
#include "mosaico/catalog/topic_order.h"
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

// `previous`: the row read before (nullptr for the first). Rows come grouped by sequence when sequences drive the
// join, so a sequence's name is copied from the row before instead of being fetched again; the schema column is
// only read when the query asked for it (otherwise it is a NULL literal).
TopicMatch ReadMatch(const Statement& row, const TopicMatch* previous, bool with_schemas) {
  TopicMatch m;
  m.sequence_id = row.Int64(0);
  const bool same_sequence = previous != nullptr && previous->sequence_id == m.sequence_id;
  m.sequence_name = same_sequence ? previous->sequence_name : row.Text(1);
  m.topic_id = row.Int64(2);
  m.topic_name = row.Text(3);
  m.ontology_tag = row.Text(4);
  if (with_schemas) m.schema_ipc = row.OptBlob(5);
  m.ts_min = row.OptInt64(6);
  m.ts_max = row.OptInt64(7);
  return m;
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
      out.push_back(ReadMatch(stmt, out.empty() ? nullptr : &out.back(), filter.with_schemas));
    }
  }
  SortTopicMatches(&out);
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
