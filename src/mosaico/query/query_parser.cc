#include "mosaico/query/query_parser.h"

#include <map>
#include <set>
#include <string_view>

#include <arrow/type.h>

#include "mosaico/core/errors.h"
#include "mosaico/core/locator.h"
#include "mosaico/query/condition_parser.h"
#include "mosaico/query/ontology_key.h"
#include "mosaico/query/query_limits.h"

namespace mosaico::query {
namespace {

using catalog::EntityField;

// Counts conditions against kMaxConditions.
class Budget {
 public:
  arrow::Status Take(std::string_view what, std::string_view key) {
    if (++used_ > kMaxConditions) {
      return KeyError(what, key, "more than " + std::to_string(kMaxConditions) + " conditions in one request");
    }
    return arrow::Status::OK();
  }

 private:
  int64_t used_ = 0;
};

// Caches the schemas of each tag for the duration of one parse.
class SchemaCache {
 public:
  explicit SchemaCache(const SchemaLookup& lookup) : lookup_(lookup) {}
  arrow::Result<const std::vector<std::shared_ptr<arrow::Schema>>*> Get(const std::string& tag) {
    auto it = cache_.find(tag);
    if (it == cache_.end()) {
      std::vector<std::shared_ptr<arrow::Schema>> schemas;
      if (lookup_) {
        ARROW_ASSIGN_OR_RAISE(schemas, lookup_(tag));
      }
      it = cache_.emplace(tag, std::move(schemas)).first;
    }
    return &it->second;
  }

 private:
  const SchemaLookup& lookup_;
  std::map<std::string, std::vector<std::shared_ptr<arrow::Schema>>> cache_;
};

void StripLeadingSlash(ScalarPredicate* p) {
  for (auto& v : p->args) {
    if (auto* s = std::get_if<std::string>(&v); s && !s->empty() && (*s)[0] == '/') s->erase(0, 1);
  }
}

// topic.name (docs/QUERY.md, "Topic names"). Names are stored relative ("front/imu"); the SDK shows them with a
// leading '/' ("/front/imu").
//  - $match: the pattern is matched against the name as the SDK shows it, so "?front/imu" and "*/imu" find
//    "/front/imu". A pattern that starts with a literal other than '/' ("front/*", "car#/[a-z]*", the spelling of
//    the SDK docstrings) could never match a name that starts with '/', so it is taken relative: it gets the '/'
//    prepended. Patterns that start with '/' or with a wildcard ('*', '?', '#', '[') are used as sent.
//  - every other operator: one leading '/' is removed from string arguments, which are then compared with the
//    stored relative name ("/front/imu" and "front/imu" mean the same; order is unchanged by a common prefix).
void NormalizeTopicName(catalog::FieldPredicate* fp) {
  if (fp->predicate.op != PredicateOp::kMatch) {
    StripLeadingSlash(&fp->predicate);
    return;
  }
  for (auto& v : fp->predicate.args) {
    auto* pattern = std::get_if<std::string>(&v);
    if (pattern == nullptr) continue;  // a non-string pattern was refused by CheckKind
    if (pattern->empty() || std::string_view("/*?#[").find((*pattern)[0]) == std::string_view::npos) {
      pattern->insert(0, "/");
    }
  }
  fp->with_leading_slash = true;
}

arrow::Result<std::vector<catalog::MetadataPredicate>> ParseUserMetadata(const Json& section, std::string_view owner,
                                                                         Budget* budget) {
  const std::string what = std::string(owner) + " user_metadata key";
  if (!section.is_object()) {
    return KeyError(std::string(owner) + " field", "user_metadata", "must be an object of {key: condition}");
  }
  std::vector<catalog::MetadataPredicate> out;
  for (auto it = section.begin(); it != section.end(); ++it) {
    const std::string& key = it.key();
    ARROW_RETURN_NOT_OK(budget->Take(what, key));
    if (static_cast<int64_t>(key.size()) > kMaxKeyBytes) {
      return KeyError(what, key, "longer than " + std::to_string(kMaxKeyBytes) + " bytes");
    }
    catalog::MetadataPredicate mp;
    size_t start = 0;
    while (true) {
      const size_t dot = key.find('.', start);
      const std::string seg = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (seg.empty()) return KeyError(what, key, "empty key segment");
      mp.key.push_back(seg);
      if (static_cast<int64_t>(mp.key.size()) > kMaxKeySegments) {
        return KeyError(what, key, "more than " + std::to_string(kMaxKeySegments) + " segments");
      }
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    ARROW_ASSIGN_OR_RAISE(mp.predicate, ParseCondition(it.value(), what, key));
    out.push_back(std::move(mp));
  }
  return out;
}

struct FieldSpec {
  const char* name;
  EntityField field;
  ValueKind kind;
};

constexpr FieldSpec kSequenceFields[] = {{"name", EntityField::kName, ValueKind::kString},
                                         {"created_at_ns", EntityField::kCreatedAtNs, ValueKind::kNumber}};
constexpr FieldSpec kTopicFields[] = {{"name", EntityField::kName, ValueKind::kString},
                                      {"ontology_tag", EntityField::kOntologyTag, ValueKind::kString},
                                      {"created_at_ns", EntityField::kCreatedAtNs, ValueKind::kNumber}};

template <size_t N>
arrow::Result<catalog::EntityFilter> ParseEntity(const Json& section, std::string_view name,
                                                 const FieldSpec (&fields)[N], Budget* budget) {
  const std::string what = std::string(name) + " field";
  catalog::EntityFilter out;
  for (auto it = section.begin(); it != section.end(); ++it) {
    const std::string& key = it.key();
    if (key == "user_metadata") {
      ARROW_ASSIGN_OR_RAISE(out.metadata, ParseUserMetadata(it.value(), name, budget));
      continue;
    }
    const FieldSpec* spec = nullptr;
    for (const auto& f : fields) {
      if (key == f.name) spec = &f;
    }
    if (!spec) return KeyError(what, key, "unknown " + std::string(name) + " field");
    ARROW_RETURN_NOT_OK(budget->Take(what, key));
    catalog::FieldPredicate fp;
    fp.field = spec->field;
    ARROW_ASSIGN_OR_RAISE(fp.predicate, ParseCondition(it.value(), what, key));
    ARROW_RETURN_NOT_OK(CheckKind(fp.predicate, spec->kind, what, key));
    if (spec->field == EntityField::kCreatedAtNs) {
      for (const auto& v : fp.predicate.args) {
        if (!std::holds_alternative<int64_t>(v)) return KeyError(what, key, "created_at_ns takes integers");
      }
    }
    if (spec->field == EntityField::kName && name == "topic") NormalizeTopicName(&fp);
    out.fields.push_back(std::move(fp));
  }
  return out;
}

// Type-checks one ontology condition against the schemas of its tag.
arrow::Status CheckAgainstSchemas(const std::string& key, const ParsedKey& parsed, const ScalarPredicate& predicate,
                                  const std::vector<std::shared_ptr<arrow::Schema>>& schemas) {
  constexpr char kWhat[] = "ontology key";
  if (schemas.empty()) return arrow::Status::OK();  // no data of that tag yet: matches nothing
  arrow::Status first_kind_error;
  std::string first_path_error;
  for (const auto& schema : schemas) {
    const PathResolution r = ResolvePath(*schema, parsed.path);
    if (r.outcome != PathResolution::Outcome::kLeaf) {
      if (first_path_error.empty()) first_path_error = r.Reason(parsed.path);
      continue;
    }
    arrow::Status st = CheckKind(predicate, r.kind, kWhat, key);
    if (st.ok()) return st;
    if (first_kind_error.ok()) first_kind_error = st;
  }
  if (!first_kind_error.ok()) return first_kind_error;
  return KeyError(kWhat, key, first_path_error);
}

arrow::Result<OntologyFilter> ParseOntology(const Json& section, SchemaCache* schemas, Budget* budget) {
  constexpr char kWhat[] = "ontology key";
  if (!section.is_object()) return KeyError("section", "ontology", "must be an object of {key: condition}");
  OntologyFilter out;
  for (auto it = section.begin(); it != section.end(); ++it) {
    const std::string& key = it.key();
    ARROW_RETURN_NOT_OK(budget->Take(kWhat, key));
    ARROW_ASSIGN_OR_RAISE(auto parsed, ParseOntologyKey(key));
    OntologyCondition cond;
    cond.key = key;
    ARROW_ASSIGN_OR_RAISE(cond.predicate, ParseCondition(it.value(), kWhat, key));
    ARROW_ASSIGN_OR_RAISE(auto tag_schemas, schemas->Get(parsed.tag));
    ARROW_RETURN_NOT_OK(CheckAgainstSchemas(key, parsed, cond.predicate, *tag_schemas));
    cond.path = std::move(parsed.path);
    TagConditions* group = nullptr;
    for (auto& t : out.tags) {
      if (t.tag == parsed.tag) group = &t;
    }
    if (!group) {
      out.tags.push_back(TagConditions{parsed.tag, {}});
      group = &out.tags.back();
    }
    group->conditions.push_back(std::move(cond));
  }
  return out;
}

arrow::Result<int64_t> NonNegativeInt(const Json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return InvalidArgument(std::string("missing field '") + field + "'");
  auto v = OptionalInt64(body, field);
  if (!v.ok() || !*v || **v < 0) return InvalidArgument(std::string("field '") + field + "' must be an integer >= 0");
  return **v;
}

arrow::Result<std::optional<TsRange>> ParseTsRange(const Json& body) {
  auto it = body.find("timestamp_range");
  if (it == body.end() || it->is_null()) return std::optional<TsRange>{};
  if (!it->is_object()) return InvalidArgument("field 'timestamp_range' must be {start_ns, end_ns} or null");
  TsRange r;
  auto start = RequireInt64(*it, "start_ns");
  if (!start.ok()) return WithContext(start.status(), "timestamp_range");
  auto end = RequireInt64(*it, "end_ns");
  if (!end.ok()) return WithContext(end.status(), "timestamp_range");
  r.start_ns = *start;
  r.end_ns = *end;
  if (r.start_ns > r.end_ns) {
    return InvalidArgument("timestamp_range: start_ns (" + std::to_string(r.start_ns) + ") is after end_ns (" +
                           std::to_string(r.end_ns) + ")");
  }
  return std::optional<TsRange>(r);
}

arrow::Result<ClusterizeRequest> ParseClusterizeWith(const Json& body, SchemaCache* schemas) {
  if (!body.is_object()) return InvalidArgument("a clusterize body must be a JSON object");
  ClusterizeRequest out;
  ARROW_ASSIGN_OR_RAISE(auto text, RequireString(body, "locator"));
  ARROW_ASSIGN_OR_RAISE(auto loc, ParseTopicLocator(text));
  out.sequence = std::move(loc.sequence);
  out.topic = std::move(loc.topic);
  ARROW_ASSIGN_OR_RAISE(out.clustering_dt_ns, NonNegativeInt(body, "clustering_dt_ns"));
  auto it = body.find("ontology");
  if (it != body.end() && !it->is_null()) {
    Budget budget;
    ARROW_ASSIGN_OR_RAISE(out.ontology, ParseOntology(*it, schemas, &budget));
  }
  ARROW_ASSIGN_OR_RAISE(out.ts_range, ParseTsRange(body));
  return out;
}

}  // namespace

arrow::Result<QueryRequest> ParseQuery(const Json& body, const SchemaLookup& lookup) {
  if (!body.is_object()) return InvalidArgument("query: the body must be a JSON object");
  QueryRequest out;
  Budget budget;
  SchemaCache schemas(lookup);
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& section = it.key();
    const Json& value = it.value();
    if (section != "sequence" && section != "topic" && section != "ontology") {
      return KeyError("section", section, "unknown query section (expected sequence, topic or ontology)");
    }
    if (!value.is_object()) return KeyError("section", section, "must be a JSON object");
    if (section == "sequence") {
      ARROW_ASSIGN_OR_RAISE(out.catalog.sequence, ParseEntity(value, "sequence", kSequenceFields, &budget));
    } else if (section == "topic") {
      ARROW_ASSIGN_OR_RAISE(out.catalog.topic, ParseEntity(value, "topic", kTopicFields, &budget));
    } else {
      ARROW_ASSIGN_OR_RAISE(out.ontology, ParseOntology(value, &schemas, &budget));
    }
  }
  if (!out.ontology.empty()) {
    std::vector<std::string> tags;
    for (const auto& t : out.ontology.tags) tags.push_back(t.tag);
    out.catalog.ontology_tags = std::move(tags);
  }
  return out;
}

arrow::Result<ClusterizeRequest> ParseClusterize(const Json& body, const SchemaLookup& lookup) {
  SchemaCache schemas(lookup);
  return ParseClusterizeWith(body, &schemas);
}

arrow::Result<IntersectRequest> ParseIntersect(const Json& body, const SchemaLookup& lookup) {
  if (!body.is_object()) return InvalidArgument("an intersect body must be a JSON object");
  auto it = body.find("topics");
  if (it == body.end() || !it->is_array()) return InvalidArgument("field 'topics' must be a list of topic bodies");
  if (static_cast<int64_t>(it->size()) > kMaxIntersectTopics) {
    return InvalidArgument("field 'topics' holds more than " + std::to_string(kMaxIntersectTopics) + " topics");
  }
  IntersectRequest out;
  SchemaCache schemas(lookup);
  size_t i = 0;
  for (const auto& t : *it) {
    auto topic = ParseClusterizeWith(t, &schemas);
    if (!topic.ok()) return WithContext(topic.status(), "topics[" + std::to_string(i) + "]");
    out.topics.push_back(std::move(*topic));
    ++i;
  }
  ARROW_ASSIGN_OR_RAISE(out.intersect_dt_ns, NonNegativeInt(body, "intersect_dt_ns"));
  return out;
}

}  // namespace mosaico::query
