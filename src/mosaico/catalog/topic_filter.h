// TopicFilter: the catalog half of a query (sequence and topic names, creation times, ontology tags, user
// metadata), in a backend-neutral form that each catalog backend evaluates inside its database (SQL plus, for
// SQLite, registered functions; JSONB for PostgreSQL). The query component (src/mosaico/query) builds it from the
// SDK's JSON; the catalog never sees JSON query text.
//
// Semantics (docs/QUERY.md is the full statement; every backend must agree exactly):
//  - A filter is a conjunction: every predicate of `sequence` holds on the topic's sequence, every predicate of
//    `topic` on the topic, and, when `ontology_tags` is set, the topic's ontology_tag is one of them.
//  - Field predicates (name, created_at_ns, ontology_tag) were type-checked by the query parser: args have the
//    field's type (strings for name/ontology_tag, ints for created_at_ns). A predicate compares the stored value,
//    except a topic `name` predicate with `with_leading_slash`: it compares "/" + the stored relative name, i.e. the
//    name as the SDK shows it ("/front/imu"); the query parser sets it on topic-name $match (docs/QUERY.md,
//    "Topic names").
//  - Metadata predicates: `key` is a dotted path into the user_metadata JSON object; a "*" segment matches any one
//    key at that level, a "**" segment any number (zero or more) of levels. Only objects are descended (never
//    arrays). The key resolves to the set of reached values; JSON nulls are dropped. kNotExists holds when that
//    set is empty; every other operator holds when at least one value satisfies it (ScalarPredicate semantics in
//    core/scalar_predicate.h: numbers compare as numbers, int vs float exactly; strings by UTF-8 byte order;
//    booleans only eq/neq/in; a value of another kind, an object or an array never satisfies; no errors).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mosaico/core/scalar_predicate.h"

namespace mosaico::catalog {

enum class EntityField { kName, kCreatedAtNs, kOntologyTag };

struct FieldPredicate {
  EntityField field = EntityField::kName;
  ScalarPredicate predicate;
  bool with_leading_slash = false;  // only for a topic's kName: compare "/" + the stored name
};

struct MetadataPredicate {
  std::vector<std::string> key;  // dotted path split on '.', segments may be "*" or "**"
  ScalarPredicate predicate;
};

struct EntityFilter {
  std::vector<FieldPredicate> fields;
  std::vector<MetadataPredicate> metadata;
  bool empty() const { return fields.empty() && metadata.empty(); }
};

struct TopicFilter {
  EntityFilter sequence;  // kOntologyTag is not a sequence field
  EntityFilter topic;
  std::optional<std::vector<std::string>> ontology_tags;  // set: topic.ontology_tag must be one of these
  // Not a predicate: false lets the backend leave TopicMatch::schema_ipc unset (a schema snapshot is kilobytes per
  // row; only a query with an ontology part reads it). Backends may return it anyway.
  bool with_schemas = true;
};

// One topic that passed a TopicFilter, with what the query engine needs next.
struct TopicMatch {
  int64_t sequence_id = 0;
  std::string sequence_name;
  int64_t topic_id = 0;
  std::string topic_name;  // relative path, no leading '/'
  std::string ontology_tag;
  std::optional<std::string> schema_ipc;  // unset until the first DoPut (or when not asked: with_schemas)
  std::optional<int64_t> ts_min, ts_max;  // committed data interval; unset when no committed rows
};

}  // namespace mosaico::catalog
