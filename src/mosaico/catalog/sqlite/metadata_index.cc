#include "mosaico/catalog/sqlite/metadata_index.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include <spdlog/spdlog.h>

#include "mosaico/catalog/metadata_paths.h"
#include "mosaico/catalog/sqlite/query_functions.h"

namespace mosaico::catalog::sqlite {
namespace {

// $in lists longer than this are served by the path alone (the matcher checks the values).
constexpr size_t kMaxIndexedInList = 64;

const char* Table(MetadataOwner owner) {
  return owner == MetadataOwner::kSequence ? "sequence_metadata_index" : "topic_metadata_index";
}
const char* OwnerColumn(MetadataOwner owner) {
  return owner == MetadataOwner::kSequence ? "sequence_id" : "topic_id";
}

arrow::Result<int64_t> PathId(Connection* conn, const std::string& path) {
  {
    ARROW_ASSIGN_OR_RAISE(Statement find, conn->Prepare("SELECT id FROM metadata_paths WHERE path = ?"));
    ARROW_RETURN_NOT_OK(find.BindAll(path));
    ARROW_ASSIGN_OR_RAISE(bool row, find.Step());
    if (row) return find.Int64(0);
  }
  ARROW_ASSIGN_OR_RAISE(Statement insert, conn->Prepare("INSERT INTO metadata_paths (path) VALUES (?)"));
  ARROW_RETURN_NOT_OK(insert.BindAll(path));
  ARROW_RETURN_NOT_OK(insert.Run());
  return conn->LastInsertId();
}

int Kind(MetadataKind k) { return static_cast<int>(k); }

// ---------------------------------------------------------------------------------- candidate conditions

bool IsNumber(const ScalarValue& v) {
  return std::holds_alternative<int64_t>(v) || (std::holds_alternative<double>(v) && !std::isnan(std::get<double>(v)));
}
bool IsNaN(const ScalarValue& v) { return std::holds_alternative<double>(v) && std::isnan(std::get<double>(v)); }

SqlParam ValueParam(const ScalarValue& v) {
  if (const auto* b = std::get_if<bool>(&v)) return int64_t{*b ? 1 : 0};
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  return std::get<std::string>(v);
}

std::optional<MetadataKind> KindOf(const ScalarValue& v) {
  if (std::holds_alternative<bool>(v)) return MetadataKind::kBool;
  if (std::holds_alternative<int64_t>(v) || std::holds_alternative<double>(v)) return MetadataKind::kNumber;
  if (std::holds_alternative<std::string>(v)) return MetadataKind::kString;
  return std::nullopt;  // null
}

// How selective a predicate's index lookup probably is (lower = better); kNotServed when the index cannot
// serve it at all.
enum Rank { kEquality = 0, kList = 1, kRange = 2, kBoolean = 3, kPathOnly = 4, kNotServed = 5 };

struct Condition {
  Rank rank = kNotServed;
  std::string sql;              // on the index table's columns, "" = every row of the path
  std::vector<SqlParam> params;
  bool empty = false;           // no value can satisfy the predicate (the candidates are the marked rows only)
  // The rows `sql` selects (of the key's paths) are exactly the indexed entities where the predicate holds
  // (core::Holds on some reached node), not just a superset: SQLite's comparisons of these kinds agree with
  // core::Holds (texts by bytes, numbers exactly across INTEGER/REAL, inclusive bounds only where the operator
  // is inclusive, booleans as 0/1 of their own kind).
  bool exact = false;
};

class ConditionBuilder {
 public:
  Condition Build(const ScalarPredicate& p) {
    const auto& a = p.args;
    switch (p.op) {
      case PredicateOp::kNotExists:
        return {};
      case PredicateOp::kExists:
        return Exact(PathOnly());  // a row per non-null node, objects, arrays and NaN included
      case PredicateOp::kEq:
        if (a.size() != 1) return PathOnly();
        if (IsNaN(a[0])) return Empty();
        if (!KindOf(a[0])) return PathOnly();
        return Exact(Compare(a[0], "=", std::holds_alternative<bool>(a[0]) ? kBoolean : kEquality));
      case PredicateOp::kNeq:
        if (a.size() != 1 || !KindOf(a[0])) return PathOnly();
        return OfKind(*KindOf(a[0]), kPathOnly);
      case PredicateOp::kLt:
      case PredicateOp::kLeq:
      case PredicateOp::kGt:
      case PredicateOp::kGeq: {
        if (a.size() != 1) return PathOnly();
        if (IsNaN(a[0])) return Empty();
        const bool less = p.op == PredicateOp::kLt || p.op == PredicateOp::kLeq;
        const bool strict = p.op == PredicateOp::kLt || p.op == PredicateOp::kGt;
        // Numbers: inclusive bounds whatever the operator, so that an int/float comparison in SQLite that
        // rounded could only add candidates, never lose one. Strings compare by bytes, exactly.
        if (IsNumber(a[0])) {
          Condition c = Compare(a[0], less ? "<=" : ">=", kRange);
          c.exact = !strict;
          return c;
        }
        if (std::holds_alternative<std::string>(a[0])) {
          return Exact(Compare(a[0], less ? (strict ? "<" : "<=") : (strict ? ">" : ">="), kRange));
        }
        return PathOnly();
      }
      case PredicateOp::kBetween:
        if (a.size() != 2) return PathOnly();
        if (IsNaN(a[0]) || IsNaN(a[1])) return Empty();
        if ((IsNumber(a[0]) && IsNumber(a[1])) ||
            (std::holds_alternative<std::string>(a[0]) && std::holds_alternative<std::string>(a[1]))) {
          Condition c = OfKind(*KindOf(a[0]), kRange);
          c.sql += " AND value BETWEEN ? AND ?";
          c.params.push_back(ValueParam(a[0]));
          c.params.push_back(ValueParam(a[1]));
          return Exact(std::move(c));
        }
        return PathOnly();
      case PredicateOp::kOutside:
        if (a.size() != 2 || !KindOf(a[0])) return PathOnly();
        return OfKind(*KindOf(a[0]), kPathOnly);
      case PredicateOp::kIn:
        return InList(a);
      case PredicateOp::kMatch:
        if (a.size() != 1 || !std::holds_alternative<std::string>(a[0])) return PathOnly();
        return Prefix(std::get<std::string>(a[0]));
    }
    return PathOnly();
  }

 private:
  static Condition PathOnly() { return {kPathOnly, "", {}, false}; }
  static Condition Empty() { return {kEquality, "", {}, true, /*exact=*/true}; }
  static Condition Exact(Condition c) {
    c.exact = true;
    return c;
  }
  static Condition OfKind(MetadataKind kind, Rank rank) {
    return {rank, "kind = " + std::to_string(Kind(kind)), {}, false};
  }
  static Condition Compare(const ScalarValue& v, const char* op, Rank rank) {
    Condition c = OfKind(*KindOf(v), rank);
    c.sql += std::string(" AND value ") + op + " ?";
    c.params.push_back(ValueParam(v));
    return c;
  }

  static Condition InList(const std::vector<ScalarValue>& args) {
    if (args.empty()) return Empty();
    if (args.size() > kMaxIndexedInList) return PathOnly();
    std::vector<const ScalarValue*> by_kind[3];  // bool, number, string
    for (const ScalarValue& v : args) {
      if (IsNaN(v)) continue;  // equals nothing
      const auto kind = KindOf(v);
      if (!kind) return PathOnly();
      by_kind[Kind(*kind) - 1].push_back(&v);
    }
    Condition c{kList, "", {}, false};
    for (int k = 0; k < 3; ++k) {
      if (by_kind[k].empty()) continue;
      if (!c.sql.empty()) c.sql += " OR ";
      c.sql += "(kind = " + std::to_string(k + 1) + " AND value IN (";
      for (size_t i = 0; i < by_kind[k].size(); ++i) {
        c.sql += i == 0 ? "?" : ", ?";
        c.params.push_back(ValueParam(*by_kind[k][i]));
      }
      c.sql += "))";
    }
    if (c.sql.empty()) return Empty();
    c.sql = "(" + c.sql + ")";
    c.exact = true;  // every value in the list, each compared with its own kind
    return c;
  }

  // Strings with the glob's literal prefix (up to its first wildcard), by byte range.
  static Condition Prefix(const std::string& pattern) {
    Condition c = OfKind(MetadataKind::kString, kRange);
    const std::string low = pattern.substr(0, pattern.find_first_of("*?#["));
    if (low.empty()) {
      c.rank = kPathOnly;
      return c;
    }
    std::string high = low;  // the first text after every text with the prefix
    while (!high.empty() && static_cast<unsigned char>(high.back()) == 0xFF) high.pop_back();
    c.sql += " AND value >= ?";
    c.params.push_back(low);
    if (!high.empty()) {
      high.back() = static_cast<char>(static_cast<unsigned char>(high.back()) + 1);
      c.sql += " AND value < ?";
      c.params.push_back(high);
    }
    return c;
  }
};

}  // namespace

arrow::Status WriteMetadataIndex(Connection* conn, MetadataOwner owner, int64_t id, std::string_view json) {
  const std::string insert = std::string("INSERT OR IGNORE INTO ") + Table(owner) + " (" + OwnerColumn(owner) +
                             ", path_id, kind, value) VALUES (?, ?, ?, ?)";
  std::vector<MetadataEntry> entries;
  if (!FlattenMetadata(json, &entries)) {
    ARROW_ASSIGN_OR_RAISE(Statement stmt, conn->Prepare(insert));
    ARROW_RETURN_NOT_OK(stmt.BindAll(id, int64_t{0}, Kind(MetadataKind::kUnindexed), int64_t{0}));
    return stmt.Run();
  }
  for (const MetadataEntry& e : entries) {
    ARROW_ASSIGN_OR_RAISE(int64_t path_id, PathId(conn, e.path));
    ARROW_ASSIGN_OR_RAISE(Statement stmt, conn->Prepare(insert));
    ARROW_RETURN_NOT_OK(stmt.BindAll(id, path_id, Kind(e.kind)));
    switch (e.kind) {
      case MetadataKind::kBool:
        ARROW_RETURN_NOT_OK(stmt.Bind(4, e.integer));
        break;
      case MetadataKind::kNumber:
        ARROW_RETURN_NOT_OK(e.is_double ? stmt.Bind(4, e.number) : stmt.Bind(4, e.integer));
        break;
      case MetadataKind::kString:
        ARROW_RETURN_NOT_OK(stmt.Bind(4, std::string_view(e.text)));
        break;
      default:  // objects, arrays, NaN: present, no value
        ARROW_RETURN_NOT_OK(stmt.Bind(4, int64_t{0}));
        break;
    }
    ARROW_RETURN_NOT_OK(stmt.Run());
  }
  return arrow::Status::OK();
}

arrow::Status BackfillMetadataIndex(Connection* conn) {
  for (MetadataOwner owner : {MetadataOwner::kSequence, MetadataOwner::kTopic}) {
    const std::string table = owner == MetadataOwner::kSequence ? "sequences" : "topics";
    ARROW_ASSIGN_OR_RAISE(std::string total_text, conn->QueryText("SELECT count(*) FROM " + table));
    const int64_t total = std::stoll(total_text);
    if (total == 0) continue;  // a new catalog
    spdlog::info("event=catalog_metadata_index_backfill table={} done=0 total={}", table, total);
    ARROW_ASSIGN_OR_RAISE(Statement rows, conn->Prepare("SELECT id, user_metadata FROM " + table + " ORDER BY id"));
    int64_t done = 0;
    auto last_log = std::chrono::steady_clock::now();
    while (true) {
      ARROW_ASSIGN_OR_RAISE(bool row, rows.Step());
      if (!row) break;
      ARROW_RETURN_NOT_OK(WriteMetadataIndex(conn, owner, rows.Int64(0), rows.IsNull(1) ? "{}" : rows.Text(1)));
      ++done;
      const auto now = std::chrono::steady_clock::now();
      if (now - last_log > std::chrono::seconds(5)) {
        spdlog::info("event=catalog_metadata_index_backfill table={} done={} total={}", table, done, total);
        last_log = now;
      }
    }
    spdlog::info("event=catalog_metadata_index_backfill table={} done={} total={} finished=true", table, done,
                 total);
  }
  return arrow::Status::OK();
}

std::string UnindexedOwnersSql(MetadataOwner owner) {
  return std::string("SELECT ") + OwnerColumn(owner) + " FROM " + Table(owner) + " WHERE path_id = 0 AND kind = 0";
}

std::optional<MetadataCandidates> MetadataCandidatesSql(MetadataOwner owner,
                                                        const std::vector<MetadataPredicate>& predicates,
                                                        std::vector<SqlParam>* params,
                                                        std::vector<std::unique_ptr<std::vector<std::string>>>* keys) {
  struct Served {
    const MetadataPredicate* predicate;
    Condition condition;
  };
  std::vector<Served> served;
  bool all_exact = true;  // every predicate holds exactly where its condition selects rows (or always)
  for (const MetadataPredicate& p : predicates) {
    if (p.key.empty()) {
      all_exact = false;
      continue;
    }
    if (KeyReachesRoot(p.key) && p.predicate.op == PredicateOp::kExists) continue;  // the root: always present
    Condition c = ConditionBuilder().Build(p.predicate);
    all_exact = all_exact && c.exact;
    if (c.rank == kNotServed) continue;
    served.push_back({&p, std::move(c)});
  }
  if (served.empty()) return std::nullopt;
  std::stable_sort(served.begin(), served.end(),
                   [](const Served& a, const Served& b) { return a.condition.rank < b.condition.rank; });
  // The best one, and with it every other of the likely selective ranks. Not booleans or path-only ones even
  // when that would make the set exact: at 1M topics, intersecting `sensor.rate_hz >= 1000` (250k) with
  // `calibrated = true` (500k) cost more than matching the 250k candidates' JSON (596 vs 550 ms CPU).
  const Rank best = served.front().condition.rank;
  const Rank last = kRange;
  const std::string owner_column = OwnerColumn(owner);
  const std::string table = Table(owner);
  MetadataCandidates out;
  out.exact = all_exact;
  out.selective = best <= kList;
  std::string& sql = out.indexed_sql;
  size_t intersected = 0;
  for (const Served& s : served) {
    if (&s != &served.front() && (s.condition.rank > last || best > last)) {
      out.exact = false;  // a predicate left out: the candidates are a superset
      break;
    }
    ++intersected;
    if (!sql.empty()) sql += " INTERSECT ";
    sql += "SELECT " + owner_column + " FROM " + table + " WHERE ";
    if (s.condition.empty) {
      sql += "0";
      continue;
    }
    if (!KeyHasWildcard(s.predicate->key)) {
      sql += "path_id = (SELECT id FROM metadata_paths WHERE path = ?)";
      params->push_back(EncodePath(s.predicate->key));
    } else {
      keys->push_back(std::make_unique<std::vector<std::string>>(s.predicate->key));
      sql += "path_id IN (SELECT id FROM metadata_paths WHERE mosaico_key_path(?, path))";
      params->push_back(PointerParam{keys->back().get(), kMetadataKeyPointerType});
    }
    if (!s.condition.sql.empty()) sql += " AND " + s.condition.sql;
    params->insert(params->end(), s.condition.params.begin(), s.condition.params.end());
  }
  // Entities whose metadata is not indexed are candidates of every predicate. They have no other rows, so the
  // two parts never share an owner, and `IN (...)` removes duplicates anyway: UNION ALL spares a temporary b-tree.
  out.distinct = intersected > 1 || (served.front().condition.rank == kEquality &&
                                     !KeyHasWildcard(served.front().predicate->key));
  out.sql = sql + " UNION ALL " + UnindexedOwnersSql(owner);
  return out;
}

}  // namespace mosaico::catalog::sqlite
