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
//
// Exactness (`exact`, set by both generators; false for every form not listed here). A condition is EXACT when it
// holds for precisely the rows whose user_metadata satisfies the predicate under MetadataMatcher, among the rows
// the SQL can judge: JSONB a non-NULL object, and for MetadataValuesSql an owner without a marker row. The caller
// may then skip reading the metadata text and MetadataMatcher for those rows; rows the SQL cannot judge (JSONB NULL:
// text PostgreSQL cannot parse, e.g. "\u0000" or a lone surrogate; not an object; marked) still go through
// MetadataMatcher. It assumes a UTF8 database (the caller's check) and that PostgreSQL and JsonDoc read the same
// text alike, which both do for RFC 8259 JSON: strings and keys decoded byte for byte, a duplicated key meaning its
// last occurrence. Exact are, and only are:
//  - MetadataSupersetSql, a plain key (no "*"/"**") with $eq/$in whose non-null arguments are all strings or
//    booleans (at least one, at most 64): the OR of `jsonb @> {"k1":{"k2":v}}`. JSONB containment of nested objects
//    ending in a scalar holds only along the same keys through objects (an array at a level is a different
//    container type and never contains an object, nor does an array contain the scalar there: the "array contains
//    a primitive" rule applies at the top level only, where the document is an object) and only when the value
//    there is a scalar of the same JSON type that compares equal (strings: byte-equal; "true" the string is not
//    true the boolean). That is MetadataMatcher's rule for a plain key.
//  - MetadataValuesSql, the key "**.<name>" exactly, with $eq/$in whose non-null arguments are all strings of
//    fewer than 200 characters other than "true" and "false": the table has a row per member reached through
//    objects only (what "**" descends), any path ending in <name>; strings are cut to 200 characters (a shorter
//    argument equals only an uncut equal string) and booleans are stored as 'true'/'false' (excluded above).
// Not exact (the C++ re-check stays): numbers anywhere (JSONB keeps exact decimals, our reader rounds to int64/
// double, so bounds are widened); the members index of wildcard keys (JSONPath's `.**` also descends arrays, and
// it ignores the key's other segments); JSONPath filters (lax mode looks inside arrays); `#>`/`#>>` ($ex, string
// ranges: they index arrays by number and see JSON null as present); $match prefixes; "**.<name>" with booleans,
// with "true"/"false" strings or with strings of 200 characters or more; keys such as "a.**.b" or "*.b" on the
// values table (only the path's last name is compared).
#pragma once

#include <functional>
#include <string>
#include <vector>

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
                                const std::function<std::string(const std::string&)>& param, bool* exact = nullptr);

// The metadata values tables: sequence_metadata_values (PostgreSQL migration 9: sequence_id, path TEXT[], num_value
// NUMERIC, text_value TEXT) and topic_metadata_values (migration 14: the same with topic_id), one row per non-null
// member at any depth of the owner's metadata copy, arrays not descended; strings cut to their first 200 characters,
// booleans as 'true'/'false'; metadata with a too-long path has one marker row, path '{}'. Both are written by the
// same function (mosaico_metadata_values) from triggers on their owner's table. MetadataValuesSql returns a SELECT
// of the owner's id from the owner's table (alias v) that is a SUPERSET of the owners whose metadata satisfies the
// predicate, marked ones excepted (the caller adds those, see MetadataValuesMarkerSql), or "" when the table does
// not serve it better than MetadataSupersetSql: served are numeric $eq/$in and ranges on plain keys (index (path,
// num_value) INCLUDE (<owner>_id), migrations 13 and 14: an index-only scan; bounds widened as in
// MetadataSupersetSql), and, for sequences only, $eq/$in/ranges/$ex on wildcard keys ending in a name ("**.fw":
// index (path[cardinality(path)], text_value); topics have no such index, their wildcard keys stay on the members
// GIN of migration 8 and JSONPath). Parameters are added only for the text returned. Whether FindTopics uses the
// tables at all: UseMetadataValues() (MOSAICOD_PG_NO_METADATA_VALUES=1 turns both off, for
// bench/catalog_query_bench.py).
enum class MetadataOwner { kSequence, kTopic };
std::string MetadataValuesSql(MetadataOwner owner, const MetadataPredicate& predicate,
                              const std::function<std::string(const std::string&)>& param, bool* exact = nullptr);
// SELECT v.<owner>_id of the marked (unindexed) owners.
std::string MetadataValuesMarkerSql(MetadataOwner owner);
bool UseMetadataValues();
// Whether some predicate gets an EXACT containment condition from MetadataSupersetSql (a plain key with string/
// boolean $eq/$in), which the GIN index of the metadata copy serves. FindTopics then leaves the topic values table
// out for that topic filter: PostgreSQL cannot AND a values table's id set with the GIN's bitmap, so it
// either hash-joins the ids with every topic (evaluating the containment on each) or probes the topics by id one
// by one, and at 1M topics both lost to the GIN's candidates rechecked on the heap: sensor.rate_hz >= 1000 and
// calibrated = true (124790 topics) 918 -> 1169 ms in bench/catalog_query_bench.py (2026-12-08, bench/README.md).
bool HasExactContainment(const std::vector<MetadataPredicate>& predicates);

// Beside such a containment a numeric comparison on a plain key is pushed as containment too, so that the GIN ANDs
// both in one bitmap: MetadataValuesNumbersSql returns a statement listing (as text, ascending) the distinct numbers
// the owner's values table holds for the key within the predicate's widened interval (as MetadataValuesSql), at most
// kMaxContainedNumbers + 1 of them, by a loose index scan (one descent of the (path, num_value) index per number);
// "" when not served (not a plain key, not one interval: $in, $outside). NumbersContainmentSql ORs `jsonb @>
// {"k1":{"k2":n}}` over those numbers ("FALSE" for none): a SUPERSET of the owners that match among those the table
// holds unmarked with an object JSONB (every such owner's stored number at the key equals, as JSONB numerics compare
// by value, one listed number; members inside arrays are never in the table). Not exact. More numbers than
// kMaxContainedNumbers: the caller pushes the JSONPath range instead. At 1M topics, sensor.rate_hz >= 1000 beside
// calibrated = true: 124790 GIN candidates instead of 499190, the statement 530 -> 270 ms.
constexpr size_t kMaxContainedNumbers = 64;
std::string MetadataValuesNumbersSql(MetadataOwner owner, const MetadataPredicate& predicate,
                                     const std::function<std::string(const std::string&)>& param);
std::string NumbersContainmentSql(const std::string& jsonb, const std::vector<std::string>& key,
                                  const std::vector<std::string>& numbers,
                                  const std::function<std::string(const std::string&)>& param);

// FindTopics' topic ontology_tag column in WHERE conditions beside pushed topic metadata conditions. Behind a
// selective one -- SelectiveContainment: a $eq/$in of strings only on a plain key, an EXACT containment the GIN index
// of the metadata copy serves (booleans are not selective: half the topics may hold `calibrated: true`) -- the tag is
// spelled "(t.ontology_tag || '')", the same value that no index serves, so the GIN's candidates drive and the tag
// is checked on their rows, read anyway; else "t.ontology_tag". A tag is shared by every topic of its type: at 1M
// topics of 10 tags, a 19880-topic answer AND-ed the GIN's 19880 entries with the tag index's 100000 (~19 % of the
// statement's CPU). SQLite does the same (sqlite/filter_sql.h, tag_behind_metadata).
bool SelectiveContainment(const MetadataPredicate& predicate);
std::string TopicTagSql(bool behind_metadata);

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
