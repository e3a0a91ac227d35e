#include "mosaico/catalog/sqlite/filter_sql.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <optional>
#include <utility>

#include "mosaico/catalog/sqlite/metadata_index.h"

#include "mosaico/core/errors.h"
#include "mosaico/core/glob.h"

namespace mosaico::catalog::sqlite {
namespace {

// MOSAICOD_NO_METADATA_INDEX=1 in the environment starts with the index off: bench/catalog_query_bench.py
// measures the same binary with and without it.
bool MetadataIndexDefault() {
  const char* env = std::getenv("MOSAICOD_NO_METADATA_INDEX");
  return env == nullptr || std::string(env) != "1";
}
std::atomic<bool> g_use_metadata_index{MetadataIndexDefault()};

// Longer $in lists (up to 10 000 values) are not expanded into placeholders but bound as one ValueSet.
constexpr size_t kMaxInlineInList = 64;

enum class ColumnType { kText, kInteger };

struct Column {
  std::string sql;   // "q.name"
  ColumnType type;
  std::string what;  // "sequence.name", for errors
  // Only $eq / $in may use an index on this column (see Builder::TopicColumn); other operators get a '+'.
  bool index_only_for_equality = false;
  bool with_leading_slash = false;  // compare '/' || column (FieldPredicate::with_leading_slash)
};

bool HasColumnType(const ScalarValue& v, ColumnType type) {
  return type == ColumnType::kText ? std::holds_alternative<std::string>(v) : std::holds_alternative<int64_t>(v);
}

// Number of arguments an operator takes; SIZE_MAX for a list.
size_t ExpectedArgs(PredicateOp op) {
  switch (op) {
    case PredicateOp::kBetween:
    case PredicateOp::kOutside:
      return 2;
    case PredicateOp::kIn:
      return std::numeric_limits<size_t>::max();
    default:
      return 1;
  }
}

bool HasWildcard(std::string_view pattern) { return pattern.find_first_of("*?#[") != std::string_view::npos; }

SqlParam ToParam(const ScalarValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return std::get<int64_t>(v);  // callers only pass values of a column type
}

class Builder {
 public:
  arrow::Result<FindTopicsSql> Build(const TopicFilter& filter) {
    sequence_driven_ = !filter.sequence.empty();
    std::optional<Candidates> sequence_candidates = MetadataIndexCandidates(MetadataOwner::kSequence, filter.sequence);
    std::optional<Candidates> topic_candidates = MetadataIndexCandidates(MetadataOwner::kTopic, filter.topic);
    tag_behind_metadata_ = !sequence_driven_ && topic_candidates && topic_candidates->set.selective;
    // Sequences driving the join are read only for their names when their conditions are all metadata decided
    // by the index alone.
    sequence_name_only_ = sequence_driven_ && filter.sequence.fields.empty() && sequence_candidates &&
                          sequence_candidates->set.exact;
    // Topics found by id from exact candidates, when the answer's columns are all the row is read for.
    const auto reads_created_at = [](const FieldPredicate& f) { return f.field == EntityField::kCreatedAtNs; };
    topic_answer_only_ = topic_candidates && topic_candidates->set.exact && !filter.with_schemas &&
                         std::none_of(filter.topic.fields.begin(), filter.topic.fields.end(), reads_created_at);
    std::vector<std::string> where;
    ARROW_RETURN_NOT_OK(AddEntity(filter.sequence, /*sequence=*/true, std::move(sequence_candidates), &where));
    ARROW_RETURN_NOT_OK(AddEntity(filter.topic, /*sequence=*/false, std::move(topic_candidates), &where));
    if (filter.ontology_tags) {
      where.push_back(InCondition({TopicColumn("ontology_tag"), ColumnType::kText, "ontology tags"},
                                  *filter.ontology_tags));
    }
    out_.sql =
        "SELECT q.id, q.name, t.id, t.name, t.ontology_tag, ";
    out_.sql += filter.with_schemas ? "t.schema_ipc, " : "NULL, ";  // kilobytes per row, read only when asked
    out_.sql += "t.data_ts_min, t.data_ts_max ";  // kept with the chunk rows (schema 9)
    // CROSS JOIN fixes the loop order (SQLite never reorders it). Without statistics the planner would
    // otherwise happily probe the ontology_tag index once per sequence.
    // A sequence read for its name only is looked up in the narrow (id, name) index (schema 10), not in the
    // sequences table whose rows carry the user metadata (1M topics, 19850 sequences in the sqlite3 shell: 11 ms
    // instead of 17): when sequences drive the join (each looked up once), or selective topic candidates do.
    // Not under topics found by a scan: there consecutive rows often share a sequence, and a rowid lookup of the
    // row the cursor is on costs nothing, an index lookup a descent (1M topics, a 124790-topic answer of 73380
    // sequences: 0.91-0.94x with the index).
    const std::string by_name_index = "sequences q INDEXED BY sequences_by_id_name";
    if (sequence_driven_) {
      out_.sql += "FROM " + (sequence_name_only_ ? by_name_index : "sequences q") +
                  " CROSS JOIN topics t ON t.sequence_id = q.id";
    } else if (!driving_candidates_.empty()) {
      // See AddEntity: the candidates' parameters come first, as their SELECT does in the text.
      // A topic whose answer columns are all that is read comes from the narrow (id, ...) index (schema 10).
      out_.sql += "FROM (" + driving_candidates_ + ") c CROSS JOIN topics t " +
                  (topic_answer_only_ ? "INDEXED BY topics_by_id_answer " : "") + "ON t.id = c.topic_id "
                  "CROSS JOIN " + by_name_index + " ON q.id = t.sequence_id";
      driving_params_.insert(driving_params_.end(), std::make_move_iterator(out_.params.begin()),
                             std::make_move_iterator(out_.params.end()));
      out_.params = std::move(driving_params_);
    } else {
      out_.sql += "FROM topics t CROSS JOIN sequences q ON q.id = t.sequence_id";
    }
    for (size_t i = 0; i < where.size(); ++i) out_.sql += (i == 0 ? " WHERE " : " AND ") + where[i];
    return std::move(out_);
  }

 private:
  // A topic column in a condition. When sequences drive the join, every topic probe must be bounded by the
  // sequence: through (sequence_id, name), or through (ontology_tag, sequence_id) for tag equalities. A unary
  // '+' (a no-op on values) keeps SQLite from probing an index with a condition that would not be bounded so
  // (e.g. a range over all topics' tags, once per sequence). `name` is indexed only behind sequence_id.
  std::string TopicColumn(const std::string& column) const {
    const bool no_index = (sequence_driven_ && column == "created_at_ns") ||
                          (tag_behind_metadata_ && column == "ontology_tag");
    return (no_index ? "+t." : "t.") + column;
  }
  // The metadata index's candidates for an entity's metadata predicates (sqlite/metadata_index.h), built once:
  // nullopt without metadata predicates, with the index switched off, or when it serves none of them.
  // When topics drive the join and their candidates are selective (an equality or a short list), those drive it,
  // not the ontology_tag index: a tag is shared by every topic of its type (1M topics, 10 tags: 100k index entries
  // walked for a 20k-topic answer, 69 vs 48 ms in the sqlite3 shell), so the tag is then checked on each
  // candidate's row, which is read anyway (tag_behind_metadata_).
  struct Candidates {
    MetadataCandidates set;
    std::vector<SqlParam> params;  // of set.sql / set.indexed_sql
  };
  std::optional<Candidates> MetadataIndexCandidates(MetadataOwner owner, const EntityFilter& filter) {
    if (filter.metadata.empty() || !g_use_metadata_index.load(std::memory_order_relaxed)) return std::nullopt;
    Candidates c;
    auto set = MetadataCandidatesSql(owner, filter.metadata, &c.params, &out_.keys);
    if (!set) return std::nullopt;
    c.set = std::move(*set);
    return c;
  }
  bool TagIndexOnlyForEquality() const { return sequence_driven_; }

  std::string Param(SqlParam p) {
    out_.params.push_back(std::move(p));
    return "?";
  }

  arrow::Status AddEntity(const EntityFilter& filter, bool sequence, std::optional<Candidates> candidates,
                          std::vector<std::string>* where) {
    const std::string alias = sequence ? "q" : "t";
    const std::string entity = sequence ? "sequence" : "topic";
    auto col = [&](const std::string& name) { return sequence ? "q." + name : TopicColumn(name); };
    for (const FieldPredicate& f : filter.fields) {
      Column column;
      switch (f.field) {
        case EntityField::kName:
          column = {col("name"), ColumnType::kText, entity + ".name"};
          column.with_leading_slash = f.with_leading_slash;
          break;
        case EntityField::kCreatedAtNs:
          column = {col("created_at_ns"), ColumnType::kInteger, entity + ".created_at_ns"};
          break;
        case EntityField::kOntologyTag:
          if (sequence) return InvalidArgument("sequence: 'ontology_tag' is not a sequence field");
          column = {col("ontology_tag"), ColumnType::kText, "topic.ontology_tag", TagIndexOnlyForEquality()};
          break;
      }
      if (f.with_leading_slash && f.field != EntityField::kName) {
        return InvalidArgument(column.what + ": a leading '/' applies to names only");
      }
      ARROW_ASSIGN_OR_RAISE(std::string condition, FieldCondition(column, f.predicate));
      where->push_back(std::move(condition));
    }
    if (!filter.metadata.empty()) {
      auto matcher = MetadataMatcher::Make(filter.metadata);
      if (!matcher.ok()) return WithContext(matcher.status(), entity);
      const SqlParam matcher_param = PointerParam{matcher->get(), kMetadataMatcherPointerType};
      out_.matchers.push_back(std::move(*matcher));
      if (!candidates) {  // the matcher decides on every row
        where->push_back("mosaico_meta(" + alias + ".user_metadata, " + Param(matcher_param) + ")");
        return arrow::Status::OK();
      }
      std::string candidates_sql;
      if (candidates->set.exact) {
        // The index decides alone except on the marked (unindexed) entities: those are matched on their JSON
        // inside the candidate set (the subquery is not correlated: evaluated once per statement), so the join
        // never reads a candidate's metadata column.
        const std::string table = sequence ? "sequences" : "topics";
        const MetadataOwner owner = sequence ? MetadataOwner::kSequence : MetadataOwner::kTopic;
        candidates_sql = candidates->set.indexed_sql + " UNION ALL SELECT id FROM " + table + " WHERE id IN (" +
                         UnindexedOwnersSql(owner) + ") AND mosaico_meta(user_metadata, ?)";
        candidates->params.push_back(matcher_param);
      } else {
        candidates_sql = candidates->set.sql;  // a superset: the matcher decides on each row
      }
      // '+t.id' when sequences drive the join: test membership, never probe topics by rowid per sequence.
      const std::string id = sequence ? "q.id" : (sequence_driven_ ? "+t.id" : "t.id");
      if (!sequence && tag_behind_metadata_ && candidates->set.distinct) {
        // Selective candidates that name each topic once drive the join from the FROM clause: their rows go
        // straight to the topic rowid lookups (SQLite flattens the compound into the join), where
        // `t.id IN (...)` would first copy them into a temporary b-tree (1M topics, 19880-topic answer).
        driving_candidates_ = std::move(candidates_sql);  // one column, topic_id
        driving_params_ = std::move(candidates->params);
      } else {
        where->push_back(id + " IN (" + candidates_sql + ")");
        for (SqlParam& p : candidates->params) out_.params.push_back(std::move(p));
      }
      if (!candidates->set.exact) {
        where->push_back("mosaico_meta(" + alias + ".user_metadata, " + Param(matcher_param) + ")");
      }
    }
    return arrow::Status::OK();
  }

  arrow::Result<std::string> FieldCondition(const Column& column, const ScalarPredicate& p) {
    if (p.op == PredicateOp::kExists) return std::string("1");  // catalog fields are never null
    if (p.op == PredicateOp::kNotExists) return std::string("0");
    const size_t expected = ExpectedArgs(p.op);
    bool native = expected == std::numeric_limits<size_t>::max() || p.args.size() == expected;
    for (const ScalarValue& arg : p.args) native = native && HasColumnType(arg, column.type);
    if (column.with_leading_slash) {
      if (native && p.op == PredicateOp::kMatch) {
        const std::string& pattern = std::get<std::string>(p.args[0]);
        auto glob = Glob::Compile(pattern);
        if (!glob.ok()) return WithContext(glob.status(), column.what);
        if (!HasWildcard(pattern)) {
          // '/' || name = pattern, written so that the (sequence_id, name) index still serves it.
          if (pattern.empty() || pattern[0] != '/') return std::string("0");
          return column.sql + " = " + Param(pattern.substr(1));
        }
      }
      Column slashed = column;
      slashed.sql = "('/' || " + column.sql + ")";
      slashed.index_only_for_equality = false;
      slashed.with_leading_slash = false;
      ARROW_ASSIGN_OR_RAISE(std::string condition, FieldCondition(slashed, p));
      if (native && p.op == PredicateOp::kMatch) {
        const std::string& pattern = std::get<std::string>(p.args[0]);
        if (!pattern.empty() && pattern[0] == '/') {
          std::string range = PrefixRange(column.sql, pattern.substr(1));
          if (!range.empty()) return "(" + condition + " AND " + range + ")";  // '?'s in binding order
        }
      }
      return condition;
    }
    if (!native) return HoldsCondition(column, p);

    const bool equality = p.op == PredicateOp::kEq || p.op == PredicateOp::kIn;
    const std::string c = column.index_only_for_equality && !equality ? "+" + column.sql : column.sql;
    switch (p.op) {
      case PredicateOp::kEq: return c + " = " + Param(ToParam(p.args[0]));
      case PredicateOp::kNeq: return c + " <> " + Param(ToParam(p.args[0]));
      case PredicateOp::kLt: return c + " < " + Param(ToParam(p.args[0]));
      case PredicateOp::kLeq: return c + " <= " + Param(ToParam(p.args[0]));
      case PredicateOp::kGt: return c + " > " + Param(ToParam(p.args[0]));
      case PredicateOp::kGeq: return c + " >= " + Param(ToParam(p.args[0]));
      case PredicateOp::kBetween: {
        std::string low = Param(ToParam(p.args[0]));
        return "(" + c + " BETWEEN " + low + " AND " + Param(ToParam(p.args[1])) + ")";
      }
      case PredicateOp::kOutside: {
        std::string low = Param(ToParam(p.args[0]));
        return "(" + c + " < " + low + " OR " + c + " > " + Param(ToParam(p.args[1])) + ")";
      }
      case PredicateOp::kIn:
        return InCondition(column, p.args);
      case PredicateOp::kMatch: {
        const std::string& pattern = std::get<std::string>(p.args[0]);  // native: a string
        auto glob = Glob::Compile(pattern);
        if (!glob.ok()) return WithContext(glob.status(), column.what);
        if (!HasWildcard(pattern)) return c + " = " + Param(pattern);
        std::string range = PrefixRange(c, pattern);
        std::string glob_call = "mosaico_glob(" + Param(pattern) + ", " + c + ")";
        return range.empty() ? glob_call : "(" + range + " AND " + glob_call + ")";
      }
      case PredicateOp::kExists:
      case PredicateOp::kNotExists:
        break;  // handled above
    }
    return HoldsCondition(column, p);
  }

  // The byte range of the texts that start with the glob's literal prefix (up to its first wildcard): a
  // superset of its matches that the column's index can serve; "" when the pattern starts with a wildcard.
  std::string PrefixRange(const std::string& column, const std::string& pattern) {
    const size_t end = pattern.find_first_of("*?#[");
    std::string low = pattern.substr(0, end);
    if (low.empty()) return "";
    std::string high = low;  // the first text after every text with the prefix: increment the last byte < 0xFF
    while (!high.empty() && static_cast<unsigned char>(high.back()) == 0xFF) high.pop_back();
    if (high.empty()) return column + " >= " + Param(low);
    high.back() = static_cast<char>(static_cast<unsigned char>(high.back()) + 1);
    std::string low_param = Param(low);
    return column + " >= " + low_param + " AND " + column + " < " + Param(high);
  }

  std::string HoldsCondition(const Column& column, const ScalarPredicate& p) {
    auto predicate = std::make_unique<ScalarPredicate>(p);
    std::string condition =
        "mosaico_holds(" + column.sql + ", " + Param(PointerParam{predicate.get(), kScalarPredicatePointerType}) + ")";
    out_.predicates.push_back(std::move(predicate));
    return condition;
  }

  // `values` all have the column's type (ScalarValues) or are strings (ontology tags).
  template <typename Values>
  std::string InCondition(const Column& column, const Values& values) {
    if (values.empty()) return "0";
    if (values.size() <= kMaxInlineInList) {
      std::string list;
      for (const auto& v : values) {
        if (!list.empty()) list += ", ";
        list += Param(AsParam(v));
      }
      return column.sql + " IN (" + list + ")";
    }
    auto set = std::make_unique<ValueSet>();
    for (const auto& v : values) AddToSet(v, set.get());
    set->Seal();
    std::string condition =
        "mosaico_in(" + column.sql + ", " + Param(PointerParam{set.get(), kValueSetPointerType}) + ")";
    out_.value_sets.push_back(std::move(set));
    return condition;
  }

  static SqlParam AsParam(const ScalarValue& v) { return ToParam(v); }
  static SqlParam AsParam(const std::string& s) { return s; }
  static void AddToSet(const ScalarValue& v, ValueSet* set) {
    if (const auto* s = std::get_if<std::string>(&v)) {
      set->strings.push_back(*s);
    } else {
      set->ints.push_back(std::get<int64_t>(v));
    }
  }
  static void AddToSet(const std::string& s, ValueSet* set) { set->strings.push_back(s); }

  bool sequence_driven_ = false;
  bool tag_behind_metadata_ = false;  // see MetadataIndexCandidates
  bool sequence_name_only_ = false;   // see Build
  bool topic_answer_only_ = false;    // see Build
  std::string driving_candidates_;     // a SELECT of topic ids (column topic_id) driving the join, or ""
  std::vector<SqlParam> driving_params_;
  FindTopicsSql out_;
};

}  // namespace

arrow::Result<FindTopicsSql> BuildFindTopicsSql(const TopicFilter& filter) { return Builder().Build(filter); }

void SetUseMetadataIndex(bool use) { g_use_metadata_index.store(use, std::memory_order_relaxed); }

}  // namespace mosaico::catalog::sqlite
