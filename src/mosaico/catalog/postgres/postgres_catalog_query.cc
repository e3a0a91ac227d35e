// PostgresCatalog: queries (catalog/topic_filter.h states the semantics; both backends must agree exactly).
//
// FindTopics runs one SELECT. Field predicates whose arguments all have the column's type become SQL on the
// column: equalities and $in compare plainly (the database's collation is deterministic, so equal means
// byte-equal, and the name/tag btree indexes serve them), ranges with COLLATE "C" (byte order, like SQLite's
// BINARY); created_at_ns as BIGINT. $match with a wildcard pushes its literal prefix as a LIKE on the C-collated
// name index and, in a UTF8 database (PgConnection::server_utf8), the whole glob as an anchored regex
// (postgres::GlobRegex, exact: it accepts what core::Glob accepts), so those rows are not checked again; a glob the
// regex cannot express (U+0000, invalid UTF-8) or any glob in a database of another encoding is checked in C++ with
// core::Glob on the rows the prefix lets through; predicates with arguments of another type and very long
// $in lists are evaluated in C++ on the fetched row with core::Holds (the exact semantics). Metadata predicates
// are pushed into SQL as superset conditions on the JSONB copy of user_metadata (postgres/pg_metadata_sql.h: GIN-
// served JSONPath equalities, JSONPath numeric ranges, numeric ranges on plain keys as owner ids from the sequence or
// topic metadata values table -- for topics beside an exact containment instead as containment of the numbers that
// table lists in range, one short statement before the query, so the GIN ANDs both --, ...) and the survivors are evaluated exactly by
// MetadataMatcher (backend-neutral) on the verbatim text (a sequence's text fetched once by a second statement for
// the sequences of the rows, not with every topic row), except where every metadata predicate of the entity has an
// EXACT condition (pg_metadata_sql.h: string/boolean equality on a plain key by containment, short strings on
// "**.<name>" in the metadata values table): the SQL has decided those rows, so neither the text is read nor the
// matcher run, but for the rows the conditions cannot judge. Beside a selective topic metadata condition the tag is
// checked on the rows the metadata GIN index finds instead of AND-ing its own index (pg_metadata_sql.h, TopicTagSql).
// Rows whose JSONB is NULL or not an object (text PostgreSQL cannot parse, e.g. "\u0000") are kept for that exact
// evaluation, and so are sequences and topics their metadata values table marks as unindexed (a marked topic makes
// every topic row's text read and judged): the statement with the pushed conditions carries one more column,
// computed once from the partial indexes of migrations 4, 13 and 14, saying whether
// the catalog has any such rows. Only when it does (or when no row came back, so the column could not say) does a
// second statement ask which, and a third re-run the query with the pushed conditions OR-ed with them. A catalog
// without such rows answers in one round trip.
// Schema snapshots are selected only when TopicFilter::with_schemas asks for them. A topic's data interval is two
// columns of its row (migration 10, kept with the chunks by pg_queries.h), not two probes of `chunks` per topic.
// The statement is not prepared (PgConnection::ExecUnprepared): its plan depends on the values' selectivity.
// A stored user_metadata that is not a JSON object fails the query with IOError, as in SQLite.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>

#include "mosaico/catalog/postgres/pg_conn.h"
#include "mosaico/catalog/postgres/pg_metadata_sql.h"
#include "mosaico/catalog/postgres/postgres_catalog.h"
#include "mosaico/catalog/metadata_matcher.h"
#include "mosaico/catalog/topic_order.h"
#include "mosaico/core/errors.h"
#include "mosaico/core/glob.h"

namespace mosaico::catalog {

using postgres::PgParams;
using postgres::PgPool;
using postgres::PgResult;

namespace {

constexpr size_t kMaxInlineInList = 1000;

// Stands for the topic's ontology_tag column in WHERE conditions until QueryBuilder::Sql writes the statement: the
// column as it is (indexable), or behind selective topic metadata conditions as an expression no index serves.
constexpr char kTagColumn[] = "\x01tag\x01";

// Result columns: the first seven always, at these positions; the others only when the query reads them, after
// those in this order (QueryBuilder::Sql sets their positions: every column costs per row on the server, on the wire
// and in libpq's result, which for a 10k-topic answer is most of the time the daemon spends).
enum Col { kSeqId, kSeqName, kTopicId, kTopicName, kTag, kTsMin, kTsMax, kSchema, kTopicMeta, kSeqCreated,
           kTopicCreated, kUnparsedAny, kColCount };

// Rows whose metadata copy the pushed conditions cannot judge, one EXISTS per kind; served by the partial indexes of
// migration 4 and the (path, num_value) indexes of migrations 13 and 14 (a few index pages, not a scan).
constexpr char kSequencesUnparsedSql[] =
    "EXISTS (SELECT 1 FROM sequences WHERE metadata_jsonb IS NULL OR jsonb_typeof(metadata_jsonb) <> 'object')";
constexpr char kTopicsUnparsedSql[] =
    "EXISTS (SELECT 1 FROM topics WHERE metadata_jsonb IS NULL OR jsonb_typeof(metadata_jsonb) <> 'object')";
constexpr char kSeqValuesMarkedSql[] = "EXISTS (SELECT 1 FROM sequence_metadata_values WHERE path = '{}')";
constexpr char kTopicValuesMarkedSql[] = "EXISTS (SELECT 1 FROM topic_metadata_values WHERE path = '{}')";

// A check evaluated in C++ on a fetched row.
struct RowCheck {
  Col column;
  bool integer;  // the column holds an int64 (created_at_ns), else text
  ScalarPredicate predicate;
  std::optional<Glob> glob;  // $match with a string pattern
  bool with_leading_slash = false;  // the value is '/' + the column (FieldPredicate::with_leading_slash)
};

bool HasWildcard(std::string_view pattern) { return pattern.find_first_of("*?#[") != std::string_view::npos; }

class QueryBuilder {
 public:
  // utf8: the database is UTF8 (PgConnection::server_utf8), so a glob can be pushed whole as a regex.
  explicit QueryBuilder(bool utf8) : utf8_(utf8) {}

  // numbers: for topics, per metadata predicate, the numbers FindTopics listed from the topic values table
  // (postgres::MetadataValuesNumbersSql), pushed as containment beside an exact containment; nullopt: not listed.
  arrow::Status AddEntity(const EntityFilter& filter, bool sequence,
                          const std::vector<std::optional<std::vector<std::string>>>& numbers = {}) {
    const std::string entity = sequence ? "sequence" : "topic";
    const std::string alias = sequence ? "q." : "t.";
    for (const FieldPredicate& f : filter.fields) {
      std::string column;
      bool integer = false;
      Col col = kSeqName;
      switch (f.field) {
        case EntityField::kName:
          column = alias + "name";
          col = sequence ? kSeqName : kTopicName;
          break;
        case EntityField::kCreatedAtNs:
          column = alias + "created_at_ns";
          integer = true;
          col = sequence ? kSeqCreated : kTopicCreated;
          break;
        case EntityField::kOntologyTag:
          if (sequence) return InvalidArgument("sequence: 'ontology_tag' is not a sequence field");
          column = kTagColumn;
          col = kTag;
          break;
      }
      const std::string what = entity + "." + (f.field == EntityField::kName          ? "name"
                                               : f.field == EntityField::kCreatedAtNs ? "created_at_ns"
                                                                                      : "ontology_tag");
      if (f.with_leading_slash && f.field != EntityField::kName) {
        return InvalidArgument(what + ": a leading '/' applies to names only");
      }
      ARROW_RETURN_NOT_OK(AddField(column, integer, col, what, f.predicate, f.with_leading_slash));
    }
    if (!filter.metadata.empty()) {
      auto matcher = MetadataMatcher::Make(filter.metadata);
      if (!matcher.ok()) return WithContext(matcher.status(), entity);
      (sequence ? seq_matcher_ : topic_matcher_) = std::move(*matcher);
      std::vector<std::string>& pushed = sequence ? seq_pushed_ : topic_pushed_;
      auto param = [this](const std::string& v) { return Param(v); };
      // Exact only in a UTF8 database (pg_metadata_sql.h) and when every predicate's condition is.
      bool all_exact = utf8_;
      // Topics: beside a containment the GIN serves, the values table is not used (pg_metadata_sql.h,
      // HasExactContainment): the GIN's candidates drive and the JSONPath range is rechecked on them.
      const bool values = postgres::UseMetadataValues() &&
                          (sequence || !postgres::HasExactContainment(filter.metadata));
      for (size_t i = 0; i < filter.metadata.size(); ++i) {
        const MetadataPredicate& m = filter.metadata[i];
        bool exact = false;
        if (!sequence && i < numbers.size() && numbers[i]) {
          std::string contained = postgres::NumbersContainmentSql(alias + "metadata_jsonb", m.key, *numbers[i], param);
          if (!contained.empty()) {
            topic_numbers_.push_back(std::move(contained));
            all_exact = false;
            continue;
          }
        }
        if (values) {
          std::string values = postgres::MetadataValuesSql(
              sequence ? postgres::MetadataOwner::kSequence : postgres::MetadataOwner::kTopic, m, param, &exact);
          if (!values.empty()) {
            (sequence ? seq_values_ : topic_values_).push_back(std::move(values));
            all_exact = all_exact && exact;
            continue;
          }
        }
        std::string condition = postgres::MetadataSupersetSql(alias + "metadata_jsonb", m, param, &exact);
        all_exact = all_exact && exact && !condition.empty();
        if (!sequence && exact && !condition.empty() && postgres::SelectiveContainment(m)) {
          tag_behind_metadata_ = true;
        }
        if (!condition.empty()) pushed.push_back(std::move(condition));
      }
      (sequence ? seq_exact_ : topic_exact_) = all_exact;
    }
    return arrow::Status::OK();
  }

  void AddTags(const std::vector<std::string>& tags) {
    if (tags.empty()) {
      where_.push_back("FALSE");
      return;
    }
    if (tags.size() > kMaxInlineInList) {
      ScalarPredicate in{PredicateOp::kIn, {}};
      for (const auto& t : tags) in.args.emplace_back(t);
      checks_.push_back({kTag, false, std::move(in), std::nullopt, false});
      return;
    }
    std::string list;
    for (const auto& t : tags) list += (list.empty() ? "" : ", ") + Param(t);
    where_.push_back(std::string(kTagColumn) + " IN (" + list + ")");
  }

  // Which tables' pushed metadata conditions must also let unparsed rows through (see UnparsedSql).
  bool has_pushed_sequence_metadata() const { return !seq_pushed_.empty() || !seq_values_.empty(); }
  bool uses_seq_values() const { return !seq_values_.empty(); }
  bool has_pushed_topic_metadata() const { return !topic_pushed_.empty() || uses_topic_values(); }
  bool uses_topic_values() const { return !topic_values_.empty() || !topic_numbers_.empty(); }

  // seq_values_marked / topic_values_marked: that metadata values table has marker rows (owners it could not
  // index), which every condition on it must let through (and, for topics, whose text the matcher must judge).
  // with_gate: one more column (kUnparsedAny), whether any row of the kinds the pushed conditions cannot judge
  // exists (computed once per statement, an InitPlan).
  // Sets column(): the positions of the optional columns. A sequence's metadata is never a column (fetched once
  // per sequence by a second statement).
  std::string Sql(bool with_schemas, bool sequences_unparsed, bool topics_unparsed, bool seq_values_marked,
                  bool topic_values_marked, bool with_gate) {
    // The topic's data interval is kept on its row with the chunks (migration 10).
    std::string sql = "SELECT q.id, q.name, t.id, t.name, t.ontology_tag, t.data_ts_min, t.data_ts_max";
    int next = kSchema;
    auto optional = [&](Col col, bool selected, const std::string& expression) {
      pos_[col] = selected ? next++ : -1;
      if (selected) sql += ", " + expression;
    };
    // A schema snapshot is kilobytes per row (hex text on the wire): only a query with an ontology part reads it.
    optional(kSchema, with_schemas, "t.schema_ipc");
    // Exact topic conditions decide every row whose JSONB they can judge: the text only of the others (NULL else).
    // With marked topics (none in practice: a path over ~1 kB) every row's text is read and judged.
    if (!topic_exact_ || topic_values_marked) {
      optional(kTopicMeta, topic_matcher_ != nullptr, "t.user_metadata");
    } else {
      optional(kTopicMeta, topics_unparsed,
               "CASE WHEN t.metadata_jsonb IS NULL OR jsonb_typeof(t.metadata_jsonb) <> 'object' "
               "THEN t.user_metadata END");
    }
    // Creation times are read only by checks in C++ (a created_at_ns argument of another type).
    optional(kSeqCreated, Checked(kSeqCreated), "q.created_at_ns");
    optional(kTopicCreated, Checked(kTopicCreated), "t.created_at_ns");
    if (with_gate) optional(kUnparsedAny, true, "(SELECT " + GateSql() + ")");
    sql += " FROM topics t JOIN sequences q ON q.id = t.sequence_id";
    std::vector<std::string> where = where_;
    std::vector<std::string> seq_pushed = seq_pushed_, topic_pushed = topic_pushed_;
    auto add_values = [](const std::vector<std::string>& values, const char* id, postgres::MetadataOwner owner,
                         bool marked, std::vector<std::string>* pushed) {
      for (const std::string& v : values) {
        pushed->push_back(std::string(id) + " IN (" + v +
                          (marked ? " UNION ALL " + postgres::MetadataValuesMarkerSql(owner) : std::string()) + ")");
      }
    };
    add_values(seq_values_, "q.id", postgres::MetadataOwner::kSequence, seq_values_marked, &seq_pushed);
    add_values(topic_values_, "t.id", postgres::MetadataOwner::kTopic, topic_values_marked, &topic_pushed);
    for (const std::string& c : topic_numbers_) {
      topic_pushed.push_back(topic_values_marked ? "(" + c + " OR t.id IN (" +
                                                       postgres::MetadataValuesMarkerSql(postgres::MetadataOwner::kTopic) +
                                                       "))"
                                                 : c);
    }
    // Behind selective topic metadata the tag is checked on the GIN's candidates (pg_metadata_sql.h, TopicTagSql),
    // but not when rows with unparsed metadata must pass too: the OR-ed escape leaves the GIN unusable, the tag
    // index serves then.
    const std::string tag = postgres::TopicTagSql(tag_behind_metadata_ && !topics_unparsed);
    for (std::string& w : where) {
      for (size_t at = w.find(kTagColumn); at != std::string::npos; at = w.find(kTagColumn, at + tag.size())) {
        w.replace(at, sizeof(kTagColumn) - 1, tag);
      }
    }
    AddPushed(seq_pushed, "q.metadata_jsonb", sequences_unparsed, &where);
    AddPushed(topic_pushed, "t.metadata_jsonb", topics_unparsed, &where);
    for (size_t i = 0; i < where.size(); ++i) sql += (i == 0 ? " WHERE " : " AND ") + where[i];
    return sql;
  }

  // The EXISTS probes that matter for this query's pushed conditions, OR-ed.
  std::string GateSql() const { return Probes(" OR "); }
  // The same probes as separate columns (sequences, topics, sequence values marked, topic values marked).
  std::string ProbeSql() const {
    return std::string("SELECT ") + (has_pushed_sequence_metadata() ? kSequencesUnparsedSql : "FALSE") + ", " +
           (has_pushed_topic_metadata() ? kTopicsUnparsedSql : "FALSE") + ", " +
           (uses_seq_values() ? kSeqValuesMarkedSql : "FALSE") + ", " +
           (uses_topic_values() ? kTopicValuesMarkedSql : "FALSE");
  }

  // The result position of `col` in the last Sql() (-1: not selected).
  int column(Col col) const { return col < kSchema ? static_cast<int>(col) : pos_[col]; }
  const PgParams& params() const { return params_; }
  std::vector<RowCheck>& checks() { return checks_; }
  MetadataMatcher* seq_matcher() { return seq_matcher_.get(); }
  MetadataMatcher* topic_matcher() { return topic_matcher_.get(); }
  // Every metadata predicate of the entity has an exact pushed condition (pg_metadata_sql.h): only rows the SQL
  // cannot judge (JSONB NULL or not an object, sequences marked in the metadata values table) need MetadataMatcher.
  bool seq_exact() const { return seq_matcher_ != nullptr && seq_exact_; }
  bool topic_exact() const { return topic_matcher_ != nullptr && topic_exact_; }

 private:
  template <typename T>
  std::string Param(const T& v) {
    params_.Add(v);
    return "$" + std::to_string(params_.size());
  }
  std::string Value(const ScalarValue& v) {
    if (const auto* s = std::get_if<std::string>(&v)) return Param(*s);
    return Param(std::get<int64_t>(v));
  }

  // The glob's literal prefix as a LIKE the C-collated name index serves (a superset; the glob is checked after).
  void AddGlobPrefix(const std::string& stored_column, const std::string& pattern) {
    const std::string like = postgres::GlobPrefixLikePattern(pattern);
    if (!like.empty()) where_.push_back(stored_column + " COLLATE \"C\" LIKE " + Param(like));
  }

  // The whole glob as an anchored regex on `value` (the column, or '/' || column): only rows the glob matches
  // leave the server (a bracket or '?' after the prefix once fetched ~5x the answer). The regex counts code points
  // only in a UTF8 database (mosaicod creates its own so), where it is exact (postgres::GlobRegex; tested against
  // core::Glob by find_topics_glob_test.cc). False when nothing was pushed (another encoding, or a glob the regex
  // cannot express): the caller then checks the fetched rows with core::Glob.
  bool AddGlobRegex(const std::string& value, const Glob& glob) {
    if (!utf8_) return false;
    const std::string re = postgres::GlobRegex(glob);
    if (re.empty()) return false;
    where_.push_back(value + " COLLATE \"C\" ~ " + Param(re));
    return true;
  }

  // slash: the value compared is '/' || column (FieldPredicate::with_leading_slash; text columns only).
  arrow::Status AddField(const std::string& stored_column, bool integer, Col col, const std::string& what,
                         const ScalarPredicate& p, bool slash) {
    if (p.op == PredicateOp::kExists) return arrow::Status::OK();  // catalog fields are never null
    if (p.op == PredicateOp::kNotExists) {
      where_.push_back("FALSE");
      return arrow::Status::OK();
    }
    size_t expected = (p.op == PredicateOp::kBetween || p.op == PredicateOp::kOutside) ? 2 : 1;
    bool native = p.op == PredicateOp::kIn || p.args.size() == expected;
    for (const ScalarValue& a : p.args) {
      native = native && (integer ? std::holds_alternative<int64_t>(a) : std::holds_alternative<std::string>(a));
    }
    if (!native) {
      checks_.push_back({col, integer, p, std::nullopt, slash});
      return arrow::Status::OK();
    }
    if (slash && p.op == PredicateOp::kMatch) {
      const std::string& pattern = std::get<std::string>(p.args[0]);
      auto glob = Glob::Compile(pattern);
      if (!glob.ok()) return WithContext(glob.status(), what);
      if (HasWildcard(pattern)) {
        if (pattern[0] == '/') AddGlobPrefix(stored_column, pattern.substr(1));
        if (!AddGlobRegex("('/' || " + stored_column + ")", *glob)) {
          checks_.push_back({col, integer, p, std::move(*glob), slash});
        }
      } else if (pattern.empty() || pattern[0] != '/') {
        where_.push_back("FALSE");  // '/' || name never equals it
      } else {
        where_.push_back(stored_column + " = " + Param(pattern.substr(1)));
      }
      return arrow::Status::OK();
    }
    const std::string column = slash ? "('/' || " + stored_column + ")" : stored_column;
    const std::string c = integer ? column : column + " COLLATE \"C\"";
    // Equality needs no COLLATE "C" (deterministic collations: equal = byte-equal) and so keeps the indexes.
    switch (p.op) {
      case PredicateOp::kEq: where_.push_back(column + " = " + Value(p.args[0])); break;
      case PredicateOp::kNeq: where_.push_back(column + " <> " + Value(p.args[0])); break;
      case PredicateOp::kLt: where_.push_back(c + " < " + Value(p.args[0])); break;
      case PredicateOp::kLeq: where_.push_back(c + " <= " + Value(p.args[0])); break;
      case PredicateOp::kGt: where_.push_back(c + " > " + Value(p.args[0])); break;
      case PredicateOp::kGeq: where_.push_back(c + " >= " + Value(p.args[0])); break;
      case PredicateOp::kBetween: {
        std::string low = Value(p.args[0]);
        where_.push_back("(" + c + " BETWEEN " + low + " AND " + Value(p.args[1]) + ")");
        break;
      }
      case PredicateOp::kOutside: {
        std::string low = Value(p.args[0]);
        where_.push_back("(" + c + " < " + low + " OR " + c + " > " + Value(p.args[1]) + ")");
        break;
      }
      case PredicateOp::kIn: {
        if (p.args.empty()) {
          where_.push_back("FALSE");
        } else if (p.args.size() > kMaxInlineInList) {
          checks_.push_back({col, integer, p, std::nullopt, slash});
        } else {
          std::string list;
          for (const ScalarValue& a : p.args) list += (list.empty() ? "" : ", ") + Value(a);
          where_.push_back(column + " IN (" + list + ")");
        }
        break;
      }
      case PredicateOp::kMatch: {
        const std::string& pattern = std::get<std::string>(p.args[0]);
        auto glob = Glob::Compile(pattern);
        if (!glob.ok()) return WithContext(glob.status(), what);
        if (!HasWildcard(pattern)) {
          where_.push_back(column + " = " + Param(pattern));
        } else {
          AddGlobPrefix(stored_column, pattern);
          if (!AddGlobRegex(stored_column, *glob)) checks_.push_back({col, integer, p, std::move(*glob), slash});
        }
        break;
      }
      default:
        checks_.push_back({col, integer, p, std::nullopt, slash});
    }
    return arrow::Status::OK();
  }

  // Whether a check in C++ reads result column `col`.
  bool Checked(Col col) const {
    return std::any_of(checks_.begin(), checks_.end(), [col](const RowCheck& c) { return c.column == col; });
  }

  std::string Probes(const char* sep) const {
    std::string out;
    auto add = [&](const char* probe) { out += (out.empty() ? "" : sep) + std::string(probe); };
    if (has_pushed_sequence_metadata()) add(kSequencesUnparsedSql);
    if (has_pushed_topic_metadata()) add(kTopicsUnparsedSql);
    if (uses_seq_values()) add(kSeqValuesMarkedSql);
    if (uses_topic_values()) add(kTopicValuesMarkedSql);
    return out;
  }

  // The pushed conditions of one entity, AND-ed; with `unparsed`, rows whose JSONB is NULL or not an object
  // also pass, so the exact evaluation sees them (and fails the query on a non-object) as SQLite would.
  static void AddPushed(const std::vector<std::string>& pushed, const std::string& jsonb, bool unparsed,
                        std::vector<std::string>* where) {
    if (pushed.empty()) return;
    if (!unparsed) {
      where->insert(where->end(), pushed.begin(), pushed.end());
      return;
    }
    std::string all;
    for (const std::string& c : pushed) all += (all.empty() ? "" : " AND ") + c;
    where->push_back("(" + jsonb + " IS NULL OR jsonb_typeof(" + jsonb + ") <> 'object' OR (" + all + "))");
  }

  const bool utf8_;
  int pos_[kColCount] = {};  // positions of the optional columns (Sql)
  std::vector<std::string> where_;
  std::vector<std::string> seq_pushed_, topic_pushed_;
  std::vector<std::string> seq_values_, topic_values_;  // SELECTs of owner ids from the metadata values tables
  std::vector<std::string> topic_numbers_;  // containment of numbers listed from the topic values table
  bool seq_exact_ = false, topic_exact_ = false;
  bool tag_behind_metadata_ = false;  // a selective topic metadata condition was pushed (Sql)
  PgParams params_;
  std::vector<RowCheck> checks_;
  std::unique_ptr<MetadataMatcher> seq_matcher_, topic_matcher_;
};

bool RowPasses(const PgResult& res, int r, const RowCheck& check, int column) {
  if (check.integer) return Holds(check.predicate, ScalarValue(res.Int64(r, column)));
  std::string text = res.Text(r, column);
  if (check.with_leading_slash) text.insert(0, "/");
  if (check.glob) return check.glob->Matches(text);
  return Holds(check.predicate, ScalarValue(std::move(text)));
}

arrow::Result<bool> MetadataPasses(MetadataMatcher* matcher, const std::string& json) {
  if (matcher == nullptr) return true;
  switch (matcher->Evaluate(json)) {
    case MetadataMatcher::Outcome::kMatch: return true;
    case MetadataMatcher::Outcome::kNoMatch: return false;
    case MetadataMatcher::Outcome::kNotAnObject: break;
  }
  return arrow::Status::IOError("postgresql: a stored user_metadata is not a JSON object");
}

}  // namespace

arrow::Result<std::vector<TopicMatch>> PostgresCatalog::FindTopics(const TopicFilter& filter) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  QueryBuilder builder(conn->server_utf8());
  ARROW_RETURN_NOT_OK(builder.AddEntity(filter.sequence, /*sequence=*/true));
  // Beside an exact topic containment, numeric comparisons on plain topic keys become containment of the numbers
  // the topic values table holds in range (postgres::MetadataValuesNumbersSql): one more short statement each.
  std::vector<std::optional<std::vector<std::string>>> numbers(filter.topic.metadata.size());
  if (postgres::UseMetadataValues() && postgres::HasExactContainment(filter.topic.metadata)) {
    for (size_t i = 0; i < filter.topic.metadata.size(); ++i) {
      PgParams listing_params;
      auto param = [&](const std::string& v) {
        listing_params.Add(v);
        return "$" + std::to_string(listing_params.size());
      };
      const std::string sql =
          postgres::MetadataValuesNumbersSql(postgres::MetadataOwner::kTopic, filter.topic.metadata[i], param);
      if (sql.empty()) continue;
      ARROW_ASSIGN_OR_RAISE(PgResult listed, conn->Exec(sql, listing_params));
      if (static_cast<size_t>(listed.rows()) > postgres::kMaxContainedNumbers) continue;
      numbers[i].emplace();
      for (int r = 0; r < listed.rows(); ++r) numbers[i]->push_back(listed.Text(r, 0));
    }
  }
  ARROW_RETURN_NOT_OK(builder.AddEntity(filter.topic, /*sequence=*/false, numbers));
  if (filter.ontology_tags) builder.AddTags(*filter.ontology_tags);

  const bool pushed = builder.has_pushed_sequence_metadata() || builder.has_pushed_topic_metadata();
  // The common case, one statement: the pushed conditions as they are, plus whether rows they cannot judge exist.
  // Unprepared: the text is this query's shape, and its best plan depends on the values (selectivity).
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->ExecUnprepared(builder.Sql(filter.with_schemas, false, false, false, false, pushed),
                                                           builder.params()));
  // Whether rows the pushed conditions cannot judge may be in `res` (they came in through the OR-ed escapes).
  bool unjudged_rows = false;
  if (pushed && (res.rows() == 0 || res.Bool(0, builder.column(kUnparsedAny)))) {
    ARROW_ASSIGN_OR_RAISE(PgResult unparsed, conn->Exec(builder.ProbeSql()));
    const bool sequences_unparsed = unparsed.Bool(0, 0), topics_unparsed = unparsed.Bool(0, 1),
               seq_values_marked = unparsed.Bool(0, 2), topic_values_marked = unparsed.Bool(0, 3);
    if (sequences_unparsed || topics_unparsed || seq_values_marked || topic_values_marked) {
      ARROW_ASSIGN_OR_RAISE(res, conn->ExecUnprepared(builder.Sql(filter.with_schemas, sequences_unparsed,
                                                                  topics_unparsed, seq_values_marked,
                                                                  topic_values_marked, false),
                                                      builder.params()));
      unjudged_rows = sequences_unparsed || seq_values_marked;
    }
  }
  std::vector<char> row_ok(static_cast<size_t>(res.rows()), 1);
  for (int r = 0; r < res.rows(); ++r) {
    for (const RowCheck& check : builder.checks()) {
      if (!RowPasses(res, r, check, builder.column(check.column))) {
        row_ok[static_cast<size_t>(r)] = 0;
        break;
      }
    }
  }
  // A sequence's metadata is fetched and evaluated once, however many of its topics came back (a 200k-topic answer
  // of 20k sequences sent each sequence's metadata text ten times). A sequence deleted meanwhile is left out.
  // Exact sequence conditions (pg_metadata_sql.h) decided every row already, unless rows they cannot judge came in:
  // then only those sequences (JSONB NULL or not an object, marked) are fetched and evaluated; the others pass (as
  // the statement saw them: no second look, so a sequence deleted meanwhile is listed as in a one-statement answer).
  const bool seq_exact = builder.seq_exact();
  std::unordered_map<int64_t, bool> seq_ok_by_id;
  if (builder.seq_matcher() != nullptr && (!seq_exact || unjudged_rows)) {
    std::string ids = "{";
    for (int r = 0; r < res.rows(); ++r) {
      if (!row_ok[static_cast<size_t>(r)]) continue;
      const int64_t id = res.Int64(r, kSeqId);
      if (!seq_ok_by_id.emplace(id, seq_exact).second) continue;
      if (ids.size() > 1) ids.push_back(',');
      ids += std::to_string(id);
    }
    ids.push_back('}');
    if (!seq_ok_by_id.empty()) {
      ARROW_ASSIGN_OR_RAISE(
          PgResult metadata,
          conn->Exec(seq_exact ? std::string("SELECT id, user_metadata FROM sequences WHERE id = ANY($1::bigint[]) "
                                             "AND (metadata_jsonb IS NULL OR jsonb_typeof(metadata_jsonb) <> 'object' "
                                             "OR id IN (") +
                                     postgres::MetadataValuesMarkerSql(postgres::MetadataOwner::kSequence) + "))"
                               : std::string("SELECT id, user_metadata FROM sequences WHERE id = ANY($1::bigint[])"),
                     PgParams::Of(ids)));
      for (int r = 0; r < metadata.rows(); ++r) {
        ARROW_ASSIGN_OR_RAISE(bool ok, MetadataPasses(builder.seq_matcher(), metadata.Text(r, 1)));
        seq_ok_by_id[metadata.Int64(r, 0)] = ok;
      }
    }
  }
  const int schema_col = builder.column(kSchema), topic_meta_col = builder.column(kTopicMeta);
  std::vector<TopicMatch> out;
  out.reserve(static_cast<size_t>(res.rows()));
  int64_t last_sequence_id = 0;
  bool last_sequence_ok = false, have_last = false;
  for (int r = 0; r < res.rows(); ++r) {
    if (!row_ok[static_cast<size_t>(r)]) continue;
    const int64_t sequence_id = res.Int64(r, kSeqId);
    if (builder.seq_matcher() != nullptr && (!seq_exact || unjudged_rows)) {
      if (!have_last || sequence_id != last_sequence_id) {  // rows mostly come grouped by sequence
        last_sequence_id = sequence_id;
        last_sequence_ok = seq_ok_by_id[sequence_id];
        have_last = true;
      }
      if (!last_sequence_ok) continue;
    }
    // Exact topic conditions: only the rows whose text was selected (JSONB NULL or not an object, or every row when
    // topics are marked in the values table) are evaluated.
    if (builder.topic_matcher() != nullptr && topic_meta_col >= 0 && !res.IsNull(r, topic_meta_col)) {
      ARROW_ASSIGN_OR_RAISE(bool topic_ok, MetadataPasses(builder.topic_matcher(), res.Text(r, topic_meta_col)));
      if (!topic_ok) continue;
    }
    TopicMatch m;
    m.sequence_id = sequence_id;
    m.sequence_name = res.Text(r, kSeqName);
    m.topic_id = res.Int64(r, kTopicId);
    m.topic_name = res.Text(r, kTopicName);
    m.ontology_tag = res.Text(r, kTag);
    if (schema_col >= 0) m.schema_ipc = res.OptBytes(r, schema_col);
    m.ts_min = res.OptInt64(r, kTsMin);
    m.ts_max = res.OptInt64(r, kTsMax);
    out.push_back(std::move(m));
  }
  SortTopicMatches(&out);
  return out;
}

arrow::Result<std::vector<std::string>> PostgresCatalog::SchemasOfOntologyTag(const std::string& ontology_tag) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec("SELECT DISTINCT schema_ipc FROM topics "
                                                 "WHERE ontology_tag = $1 AND schema_ipc IS NOT NULL",
                                                 PgParams::Of(ontology_tag)));
  std::vector<std::string> out;
  for (int r = 0; r < res.rows(); ++r) out.push_back(res.Bytes(r, 0));
  return out;
}

}  // namespace mosaico::catalog
