// Pushes user_metadata predicates (catalog/topic_filter.h) into PostgreSQL as conditions on the JSONB copy of
// user_metadata, so that only (a superset of) the matching rows leave the server.
//
// Contract:
//  - MetadataSupersetSql returns a SQL condition on `jsonb` that holds for EVERY row whose user_metadata satisfies
//    the predicate under the exact semantics (MetadataMatcher), provided that row's JSONB is a non-NULL object
//    (the caller keeps rows whose JSONB is NULL or not an object some other way). It may hold for rows that do
//    not match: the caller still evaluates MetadataMatcher on the survivors. Empty string: nothing worth pushing.
//  - Why only a superset: stored numbers are parsed to int64/double by our JSON reader, while JSONB keeps their
//    exact decimal value ("1.00000000000000000001" is the double 1.0 for us, not 1 for PostgreSQL), so numeric
//    bounds are widened by more than any rounding, relative to the bound (|v| * 2^-40, integers and doubles
//    alike: a range 30..35 fetches 30 - 2.7e-11 .. 35 + 3.2e-11); JSONPath's lax mode also looks inside arrays, which our
//    semantics never do; $match only pushes its literal prefix.
//  - Plain keys with string/boolean $eq/$in become JSONB containment (`@>` {"env":{"weather":"rain"}}), which the
//    GIN (jsonb_path_ops) index on the column serves (a value reached through objects is always contained). Numeric comparisons become JSONPath ranges; string ranges compare the text with
//    COLLATE "C" (byte order); keys with "*" / "**" use `COALESCE(jsonb) @? path` (the COALESCE keeps the
//    planner off the GIN index, which cannot serve them; `@?` gives it a selective estimate), except string/
//    boolean $eq/$in on a wildcard key whose last segment is a plain name ("**.fw", "a.*.b"): those become
//    containment of {"key": name, "value": v} in the array of every object member with a string or boolean
//    value (MetadataMembersSql), served by the GIN expression index of PostgreSQL migration 8. Any node such a
//    key reaches is a member `name` of some object, so the condition is a superset.
//  - Every value reaches SQL as a bound parameter, added through `param` (which returns its "$n").
#pragma once

#include <functional>
#include <string>

#include "mosaico/catalog/topic_filter.h"
#include "mosaico/core/glob.h"

namespace mosaico::catalog::postgres {

// The JSONPath (a SQL string literal, without cast) of the members index of migration 8: every member, at any
// depth, of every object in the document whose value is a string or a boolean, as {"key","value","id"} objects.
// Queries must spell the index expression exactly as MetadataMembersSql does for the planner to use the index.
extern const char kMetadataMembersPath[];
// jsonb_path_query_array(<jsonb>, '<kMetadataMembersPath>'::jsonpath): the indexed expression.
std::string MetadataMembersSql(const std::string& jsonb);

std::string MetadataSupersetSql(const std::string& jsonb, const MetadataPredicate& predicate,
                                const std::function<std::string(const std::string&)>& param);

// The sequence metadata values table of PostgreSQL migration 9 (sequence_metadata_values: sequence_id, path TEXT[],
// num_value NUMERIC, text_value TEXT; one row per non-null member at any depth, arrays not descended; strings cut to
// their first 200 characters, booleans as 'true'/'false'; metadata with a too-long path has one marker row, path
// '{}'). MetadataValuesSql returns a SELECT of sequence_id from it (alias v) that is a SUPERSET of the sequences whose
// metadata satisfies the predicate, marked ones excepted (the caller adds those, see kMetadataValuesMarkerSql), or ""
// when the table does not serve it better than MetadataSupersetSql: served are numeric $eq/$in and ranges on plain
// keys (index (path, num_value), bounds widened as in MetadataSupersetSql), and $eq/$in/ranges/$ex on wildcard keys
// ending in a name ("**.fw": index (path[cardinality(path)], text_value)). Parameters are added only for the text
// returned. Whether FindTopics uses it at all: UseMetadataValues() (MOSAICOD_PG_NO_METADATA_VALUES=1 turns it off,
// for bench/catalog_query_bench.py).
std::string MetadataValuesSql(const MetadataPredicate& predicate,
                              const std::function<std::string(const std::string&)>& param);
extern const char kMetadataValuesMarkerSql[];  // SELECT v.sequence_id of the marked (unindexed) sequences
bool UseMetadataValues();

// A $match pattern's literal prefix (up to its first wildcard), escaped for LIKE with the default '\' escape and
// followed by '%'; empty when the pattern starts with a wildcard. A superset of the glob's matches by byte prefix.
std::string GlobPrefixLikePattern(const std::string& glob_pattern);

// The whole glob as an anchored PostgreSQL regular expression (ARE, for `text COLLATE "C" ~ re`) that matches exactly
// the texts Glob::Matches accepts, in a UTF8 database (a character is a code point there): '*' -> ".*", '?' -> ".",
// '#' -> "[0-9]", a class -> a bracket expression of its code-point ranges; every character but an ASCII letter or
// digit is written as a \uXXXX / \UXXXXXXXX escape, so no regex metacharacter of the pattern stays special
// ('.', '+', '(', '\\', '^', ...). Empty when the glob cannot be translated: it holds U+0000 or invalid UTF-8 (which
// no stored text holds either; the caller checks such globs after the fetch, as before).
std::string GlobRegex(const Glob& glob);

}  // namespace mosaico::catalog::postgres
