#include "mosaico/catalog/postgres/pg_metadata_sql.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <variant>
#include <vector>

namespace mosaico::catalog::postgres {
namespace {

constexpr size_t kMaxPushedInList = 64;

bool IsWildcard(const std::string& segment) { return segment == "*" || segment == "**"; }

bool PlainKey(const MetadataPredicate& m) {
  for (const std::string& s : m.key) {
    if (s.empty() || IsWildcard(s)) return false;
  }
  return !m.key.empty();
}

// A JSONPath string literal; nullopt for text PostgreSQL cannot hold (NUL), which no JSONB value contains.
std::optional<std::string> PathString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == 0) return std::nullopt;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::optional<std::string> JsonPath(const std::vector<std::string>& key) {
  std::string out = "$";
  for (const std::string& s : key) {
    if (s == "*") {
      out += ".*";
    } else if (s == "**") {
      out += ".**";
    } else {
      auto quoted = PathString(s);
      if (!quoted) return std::nullopt;
      out += "." + *quoted;
    }
  }
  return out;
}

std::string Int128Text(__int128 v) {
  if (v == 0) return "0";
  const bool negative = v < 0;
  unsigned __int128 u = negative ? -static_cast<unsigned __int128>(v) : static_cast<unsigned __int128>(v);
  std::string digits;
  while (u > 0) {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  return negative ? "-" + digits : digits;
}

std::optional<std::string> DoubleText(double d) {
  if (!std::isfinite(d)) return std::nullopt;
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", d);
  return std::string(buf);
}

// Bounds (as JSONPath numeric literals) of an interval of decimals containing every stored number that our
// reader would parse to a value equal to `v`; a missing side is unbounded. nullopt when v is not a number.
//
// A stored number is read exactly (an integer token that fits int64) or as the double nearest to its decimal d
// (JsonDoc); comparisons against the argument are exact (CompareNumbers). So a stored double D compares as d
// only up to D's rounding: |d - D| <= ulp(D)/2 <= |D| * 2^-53 (normal doubles), < 2^-1074 (subnormals, +-0).
// A margin of |v| * 2^-40 + 1e-300 on each side is far wider than that and than %.17g's printing error
// (< 10^-16 relative), yet it keeps the interval tight: a range over 30..35 fetches values in
// [30 - 2.7e-11, 35 + 3.2e-11], not 29..36 (before 2026-12-07 an integer bound was widened by 1, so a range
// query fetched ~40% more sequences than it matched). The exact check in C++ still decides every row.
struct Widened {
  std::optional<std::string> low, high;
};
std::optional<Widened> WidenedDouble(double d) {
  if (std::isnan(d)) return std::nullopt;
  const double margin = std::fabs(d) * 0x1p-40 + 1e-300;
  return Widened{DoubleText(d - margin), DoubleText(d + margin)};  // +-inf: that side unbounded
}
std::optional<Widened> WidenedNumber(const ScalarValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) {
    constexpr int64_t kExactInDouble = int64_t{1} << 50;  // every such integer is a double, exactly
    if (*i > -kExactInDouble && *i < kExactInDouble) return WidenedDouble(static_cast<double>(*i));
    // Larger integers in exact integer arithmetic: the same relative margin, rounded up.
    const __int128 value = *i;
    const __int128 margin = 1 + ((value < 0 ? -value : value) >> 40);
    return Widened{Int128Text(value - margin), Int128Text(value + margin)};
  }
  if (const auto* d = std::get_if<double>(&v)) return WidenedDouble(*d);
  return std::nullopt;
}

std::string Conj(const std::vector<std::string>& terms, const char* op) {
  std::string out;
  for (const std::string& t : terms) out += (out.empty() ? "" : std::string(" ") + op + " ") + t;
  return terms.size() > 1 ? "(" + out + ")" : out;
}

// A JSONPath filter expression on '@' that holds whenever `value == arg` holds exactly; nullopt: anything might.
std::optional<std::string> EqualityFilter(const ScalarValue& arg) {
  if (const auto* b = std::get_if<bool>(&arg)) return std::string(*b ? "@ == true" : "@ == false");
  if (const auto* s = std::get_if<std::string>(&arg)) {
    auto literal = PathString(*s);
    if (!literal) return std::nullopt;
    return "@ == " + *literal;
  }
  auto w = WidenedNumber(arg);
  if (!w) return std::nullopt;
  std::vector<std::string> terms;
  if (w->low) terms.push_back("@ >= " + *w->low);
  if (w->high) terms.push_back("@ <= " + *w->high);
  if (terms.empty()) return std::nullopt;
  return Conj(terms, "&&");
}

// The JSONPath filter for a numeric comparison (lt..geq, between, outside); nullopt when an arg is not a number.
std::optional<std::string> NumericFilter(const ScalarPredicate& p) {
  std::vector<Widened> w;
  for (const ScalarValue& a : p.args) {
    auto one = WidenedNumber(a);
    if (!one) return std::nullopt;
    w.push_back(*one);
  }
  auto at_least = [](const Widened& x) { return x.low ? std::optional<std::string>("@ >= " + *x.low) : std::nullopt; };
  auto at_most = [](const Widened& x) { return x.high ? std::optional<std::string>("@ <= " + *x.high) : std::nullopt; };
  std::vector<std::string> terms;
  switch (p.op) {
    case PredicateOp::kLt:
    case PredicateOp::kLeq:
      if (w.size() != 1) return std::nullopt;
      if (auto t = at_most(w[0])) terms.push_back(*t);
      break;
    case PredicateOp::kGt:
    case PredicateOp::kGeq:
      if (w.size() != 1) return std::nullopt;
      if (auto t = at_least(w[0])) terms.push_back(*t);
      break;
    case PredicateOp::kBetween:
      if (w.size() != 2) return std::nullopt;
      if (auto t = at_least(w[0])) terms.push_back(*t);
      if (auto t = at_most(w[1])) terms.push_back(*t);
      break;
    case PredicateOp::kOutside: {
      if (w.size() != 2) return std::nullopt;
      // v < a or v > b: below a's upper widening or above b's lower widening.
      auto below = at_most(w[0]), above = at_least(w[1]);
      if (!below || !above) return std::nullopt;
      return "(" + *below + " || " + *above + ")";
    }
    default:
      return std::nullopt;
  }
  if (terms.empty()) return std::nullopt;
  return Conj(terms, "&&");
}

std::string TextArray(const std::vector<std::string>& key, const std::function<std::string(const std::string&)>& param) {
  std::string out;
  for (const std::string& s : key) out += (out.empty() ? "" : ", ") + param(s) + "::text";
  return "ARRAY[" + out + "]";
}

// A wildcard key ending in a plain name ("**.fw", "a.*.b"): that name, else nullopt.
std::optional<std::string> WildcardKeyLastName(const std::vector<std::string>& key) {
  if (key.empty() || key.back().empty() || IsWildcard(key.back())) return std::nullopt;
  for (const std::string& s : key) {
    if (s.empty()) return std::nullopt;
  }
  return key.back();
}

// The value part of a metadata values condition for one argument of $eq/$in on columns v.num_value/v.text_value;
// nullopt when the argument cannot be served. Adds no parameter itself: `values` gets the texts to bind.
std::optional<std::string> ValuesEquality(const ScalarValue& a, std::vector<std::string>* values) {
  if (const auto* b = std::get_if<bool>(&a)) {
    values->push_back(*b ? "true" : "false");
    return std::string("v.text_value = $?");
  }
  if (const auto* str = std::get_if<std::string>(&a)) {
    if (str->find('\0') != std::string::npos) return std::nullopt;
    values->push_back(*str);
    return std::string("v.text_value = left($?::text, 200)");
  }
  auto w = WidenedNumber(a);
  if (!w || (!w->low && !w->high)) return std::nullopt;
  std::string out;
  if (w->low) {
    values->push_back(*w->low);
    out = "v.num_value >= $?::numeric";
  }
  if (w->high) {
    values->push_back(*w->high);
    out += std::string(out.empty() ? "" : " AND ") + "v.num_value <= $?::numeric";
  }
  return "(" + out + ")";
}

// Whether `v.text_value = left($a, 200)` (ValuesEquality) holds exactly for the members whose value equals `a`
// (core::Holds): a string of fewer than 200 characters (left() cuts nothing, so equal texts are equal strings) that
// is neither "true" nor "false" (booleans are stored as those texts). Characters are code points (a UTF8 database:
// the query's strings are valid UTF-8); any other database is judged by the caller.
bool ValuesEqualityIsExact(const ScalarValue& a) {
  const auto* str = std::get_if<std::string>(&a);
  if (str == nullptr || *str == "true" || *str == "false") return false;
  size_t characters = 0;
  for (unsigned char c : *str) characters += (c & 0xC0) != 0x80;
  return characters < 200;
}

}  // namespace

namespace {

const char* ValuesTable(MetadataOwner owner) {
  return owner == MetadataOwner::kSequence ? "sequence_metadata_values" : "topic_metadata_values";
}
const char* ValuesOwnerId(MetadataOwner owner) { return owner == MetadataOwner::kSequence ? "sequence_id" : "topic_id"; }

}  // namespace

std::string MetadataValuesMarkerSql(MetadataOwner owner) {
  return std::string("SELECT v.") + ValuesOwnerId(owner) + " FROM " + ValuesTable(owner) + " v WHERE v.path = '{}'";
}

bool UseMetadataValues() {
  static const bool use = [] {
    const char* env = std::getenv("MOSAICOD_PG_NO_METADATA_VALUES");
    return env == nullptr || std::string(env) != "1";
  }();
  return use;
}

std::string MetadataValuesSql(MetadataOwner owner, const MetadataPredicate& m,
                              const std::function<std::string(const std::string&)>& param, bool* exact) {
  if (exact != nullptr) *exact = false;
  const ScalarPredicate& p = m.predicate;
  if (m.key.empty() || p.op == PredicateOp::kNotExists) return "";
  const bool plain = PlainKey(m);
  // Wildcard keys need the (path[cardinality(path)], text_value) index, which only the sequences' table has.
  if (!plain && owner != MetadataOwner::kSequence) return "";
  const auto name = plain ? std::nullopt : WildcardKeyLastName(m.key);
  if (!plain && !name) return "";
  for (const std::string& s : m.key) {
    if (s.find('\0') != std::string::npos) return "";
  }
  // The value condition with "$?" placeholders for `values`, in order.
  std::string condition;
  std::vector<std::string> values;
  bool decided = false;  // the condition selects exactly the owners that match (see ValuesEqualityIsExact)
  switch (p.op) {
    case PredicateOp::kExists:
      if (plain) return "";  // every sequence probably has it: the JSONB test on the row is cheaper
      break;
    case PredicateOp::kEq:
    case PredicateOp::kIn: {
      if (p.op == PredicateOp::kEq && p.args.size() != 1) return "";
      if (p.args.empty() || p.args.size() > kMaxPushedInList) return "";
      std::vector<std::string> alternatives;
      decided = m.key.size() == 2 && m.key[0] == "**";
      for (const ScalarValue& a : p.args) {
        if (std::holds_alternative<std::monostate>(a)) continue;  // null equals nothing
        // Plain keys: numbers only (strings and booleans: GIN containment, MetadataSupersetSql).
        if (plain && (std::holds_alternative<std::string>(a) || std::holds_alternative<bool>(a))) return "";
        auto one = ValuesEquality(a, &values);
        if (!one) return "";
        alternatives.push_back(*one);
        decided = decided && ValuesEqualityIsExact(a);
      }
      if (alternatives.empty()) return "";
      condition = Conj(alternatives, "OR");
      break;
    }
    case PredicateOp::kLt:
    case PredicateOp::kLeq:
    case PredicateOp::kGt:
    case PredicateOp::kGeq:
    case PredicateOp::kBetween:
    case PredicateOp::kOutside: {
      std::vector<Widened> w;
      for (const ScalarValue& a : p.args) {
        auto one = WidenedNumber(a);
        if (!one) return "";
        w.push_back(*one);
      }
      const size_t arity = (p.op == PredicateOp::kBetween || p.op == PredicateOp::kOutside) ? 2 : 1;
      if (w.size() != arity) return "";
      auto at_least = [&](const Widened& x) {
        if (!x.low) return std::string("v.num_value IS NOT NULL");
        values.push_back(*x.low);
        return std::string("v.num_value >= $?::numeric");
      };
      auto at_most = [&](const Widened& x) {
        if (!x.high) return std::string("v.num_value IS NOT NULL");
        values.push_back(*x.high);
        return std::string("v.num_value <= $?::numeric");
      };
      switch (p.op) {
        case PredicateOp::kLt:
        case PredicateOp::kLeq: condition = at_most(w[0]); break;
        case PredicateOp::kGt:
        case PredicateOp::kGeq: condition = at_least(w[0]); break;
        case PredicateOp::kBetween: {
          std::string low = at_least(w[0]);
          condition = "(" + low + " AND " + at_most(w[1]) + ")";
          break;
        }
        default: {  // kOutside: v < a or v > b
          std::string below = at_most(w[0]);
          condition = "(" + below + " OR " + at_least(w[1]) + ")";
          break;
        }
      }
      break;
    }
    default:
      return "";
  }
  // Everything qualifies: now the parameters, in the order of the text.
  std::string sql = std::string("SELECT v.") + ValuesOwnerId(owner) + " FROM " + ValuesTable(owner) + " v WHERE ";
  sql += plain ? "v.path = " + TextArray(m.key, param) : "v.path[cardinality(v.path)] = " + param(*name);
  if (!condition.empty()) {
    std::string filled;
    size_t next = 0;
    for (size_t i = 0; i < condition.size(); ++i) {
      if (condition.compare(i, 2, "$?") == 0) {
        filled += param(values[next++]);
        ++i;
      } else {
        filled += condition[i];
      }
    }
    sql += " AND " + filled;
  }
  if (exact != nullptr) *exact = decided;
  return sql;
}

const char kMetadataMembersPath[] =
    "'$.** ? (@.type() == \"object\").keyvalue() ? (@.value.type() == \"string\" || "
    "@.value.type() == \"boolean\")'";

std::string MetadataMembersSql(const std::string& jsonb) {
  return "jsonb_path_query_array(" + jsonb + ", " + kMetadataMembersPath + "::jsonpath)";
}

std::string MetadataValuesNumbersSql(MetadataOwner owner, const MetadataPredicate& m,
                                     const std::function<std::string(const std::string&)>& param) {
  switch (m.predicate.op) {
    case PredicateOp::kEq:
    case PredicateOp::kLt:
    case PredicateOp::kLeq:
    case PredicateOp::kGt:
    case PredicateOp::kGeq:
    case PredicateOp::kBetween: break;
    default: return "";  // several intervals: the walk would step through the rows between them
  }
  if (!PlainKey(m)) return "";
  const std::string values = MetadataValuesSql(owner, m, param);
  const size_t at = values.find(" WHERE ");
  if (values.empty() || at == std::string::npos) return "";
  const std::string where = values.substr(at + 7);  // the path and one interval of v.num_value
  const std::string table = ValuesTable(owner);
  // A loose index scan: each step is one descent of the (path, num_value) index to the next larger number.
  return "WITH RECURSIVE d(val) AS ((SELECT v.num_value FROM " + table + " v WHERE " + where +
         " ORDER BY v.num_value LIMIT 1) UNION ALL SELECT (SELECT v.num_value FROM " + table + " v WHERE " + where +
         " AND v.num_value > d.val ORDER BY v.num_value LIMIT 1) FROM d WHERE d.val IS NOT NULL) "
         "SELECT d.val::text FROM d WHERE d.val IS NOT NULL LIMIT " + std::to_string(kMaxContainedNumbers + 1);
}

std::string NumbersContainmentSql(const std::string& jsonb, const std::vector<std::string>& key,
                                  const std::vector<std::string>& numbers,
                                  const std::function<std::string(const std::string&)>& param) {
  if (numbers.empty()) return "FALSE";
  std::vector<std::string> contains;
  for (const std::string& n : numbers) {
    std::string doc = n;  // numeric's text is a JSON number (no exponent, no NaN: JSON has none)
    for (auto it = key.rbegin(); it != key.rend(); ++it) {
      auto name = PathString(*it);
      if (!name) return "";
      doc = "{" + *name + ":" + doc + "}";
    }
    contains.push_back("(" + jsonb + " @> " + param(doc) + "::jsonb)");
  }
  return Conj(contains, "OR");
}

bool HasExactContainment(const std::vector<MetadataPredicate>& predicates) {
  auto unused = [](const std::string&) { return std::string("$0"); };  // the SQL text is not used, only `exact`
  return std::any_of(predicates.begin(), predicates.end(), [&](const MetadataPredicate& m) {
    bool exact = false;
    return !MetadataSupersetSql("x", m, unused, &exact).empty() && exact;
  });
}

bool SelectiveContainment(const MetadataPredicate& predicate) {
  const ScalarPredicate& p = predicate.predicate;
  if ((p.op != PredicateOp::kEq && p.op != PredicateOp::kIn) || p.args.empty() || predicate.key.empty()) return false;
  for (const std::string& segment : predicate.key) {
    if (segment == "*" || segment == "**") return false;
  }
  return std::all_of(p.args.begin(), p.args.end(),
                     [](const ScalarValue& a) { return std::holds_alternative<std::string>(a); });
}

std::string TopicTagSql(bool behind_metadata) { return behind_metadata ? "(t.ontology_tag || '')" : "t.ontology_tag"; }

std::string GlobPrefixLikePattern(const std::string& glob_pattern) {
  std::string out;
  for (char c : glob_pattern) {
    if (c == '*' || c == '?' || c == '#' || c == '[') break;
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out.empty() ? out : out + "%";
}

namespace {

// A code point as a regex escape of fixed width (\u: exactly four hex digits, \U: exactly eight), so the next
// character of the expression can never be read as part of it.
void AppendRegexChar(char32_t c, std::string* out) {
  if ((c >= U'0' && c <= U'9') || (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z')) {
    out->push_back(static_cast<char>(c));
    return;
  }
  char buf[16];
  if (c <= 0xFFFF) {
    std::snprintf(buf, sizeof(buf), "\\u%04X", static_cast<unsigned>(c));
  } else {
    std::snprintf(buf, sizeof(buf), "\\U%08X", static_cast<unsigned>(c));
  }
  *out += buf;
}

}  // namespace

std::string GlobRegex(const Glob& glob) {
  constexpr char32_t kMaxCodePoint = 0x10FFFF;
  std::string re = "^";
  for (const Glob::Token& token : glob.tokens()) {
    switch (token.kind) {
      case Glob::Token::Kind::kStar: re += ".*"; break;
      case Glob::Token::Kind::kAny: re += "."; break;
      case Glob::Token::Kind::kDigit: re += "[0-9]"; break;
      case Glob::Token::Kind::kLiteral:
        if (token.literal == 0 || token.literal > kMaxCodePoint) return "";
        AppendRegexChar(token.literal, &re);
        break;
      case Glob::Token::Kind::kClass:
        re += "[";
        for (auto [first, last] : token.ranges) {
          // An invalid byte in a class cannot be written; U+0000 no stored text holds. Both: give up pushing.
          if (first == 0 || first > kMaxCodePoint || last > kMaxCodePoint) return "";
          AppendRegexChar(first, &re);
          if (last != first) {
            re += "-";
            AppendRegexChar(last, &re);
          }
        }
        re += "]";
        break;
    }
  }
  return re + "$";
}

std::string MetadataSupersetSql(const std::string& jsonb, const MetadataPredicate& m,
                                const std::function<std::string(const std::string&)>& param, bool* exact) {
  if (exact != nullptr) *exact = false;
  const ScalarPredicate& p = m.predicate;
  if (p.op == PredicateOp::kNotExists || m.key.empty()) return "";
  const bool plain = PlainKey(m);
  auto path = JsonPath(m.key);
  if (!path) return "";
  // Holds when `filter` holds for some item the path reaches (lax mode: arrays are looked into, a superset).
  auto with_filter = [&](const std::string& filter) {
    const std::string text = *path + " ? (" + filter + ")";
    // `@?` lets the GIN index serve plain-key equalities. For wildcard keys no index can help and a bare `@?`
    // would make the planner scan the whole GIN index first; COALESCE(x) (a no-op) hides the column from the
    // index while `@?` keeps its selectivity estimate. (jsonb_path_exists, used before, is estimated to pass a
    // third of the rows: at 100k sequences the planner then hash-joined every topic, 1.4 s for 971 sequences.)
    return plain ? "(" + jsonb + " @? " + param(text) + "::jsonpath)"
                 : "(COALESCE(" + jsonb + ") @? " + param(text) + "::jsonpath)";
  };
  // Parameters are added only for the text returned: each one must appear in the SQL.
  auto present = [&]() {
    return plain ? "(" + jsonb + " #> " + TextArray(m.key, param) + " IS NOT NULL)" : std::string();
  };

  switch (p.op) {
    case PredicateOp::kEq:
    case PredicateOp::kIn: {
      if (p.op == PredicateOp::kEq && p.args.size() != 1) return present();
      if (p.args.empty() || p.args.size() > kMaxPushedInList) return present();
      std::vector<std::string> alternatives;
      for (const ScalarValue& a : p.args) {
        if (std::holds_alternative<std::monostate>(a)) continue;  // null equals nothing
        auto f = EqualityFilter(a);
        if (!f) return present();
        alternatives.push_back(*f);
      }
      if (alternatives.empty()) return present();
      if (plain) {
        // Strings and booleans only: JSONB containment, whose index recheck is cheaper than JSONPath's.
        std::vector<std::string> documents;  // parameters are added only once every argument qualifies
        bool all_qualify = true;
        for (const ScalarValue& a : p.args) {
          std::string value;
          if (const auto* b = std::get_if<bool>(&a)) {
            value = *b ? "true" : "false";
          } else if (const auto* str = std::get_if<std::string>(&a)) {
            value = *PathString(*str);  // a JSON string literal too; NUL was refused above
          } else if (std::holds_alternative<std::monostate>(a)) {
            continue;
          } else {
            all_qualify = false;
            break;
          }
          for (auto it = m.key.rbegin(); it != m.key.rend(); ++it) {
            value = "{" + *PathString(*it) + ":" + value + "}";  // key segments hold no NUL: JsonPath checked
          }
          documents.push_back(std::move(value));
        }
        if (all_qualify && !documents.empty()) {
          std::vector<std::string> contains;
          for (const std::string& d : documents) contains.push_back("(" + jsonb + " @> " + param(d) + "::jsonb)");
          // Exact (header): nested objects ending in a string or boolean are contained only along the same keys
          // through objects, ending in an equal scalar of the same type.
          if (exact != nullptr) *exact = true;
          return Conj(contains, "OR");
        }
      } else if (auto name = WildcardKeyLastName(m.key)) {
        // Strings and booleans only (JSONB compares numbers as exact decimals): the members index.
        auto key_literal = PathString(*name);
        std::vector<std::string> members;  // parameters are added only once every argument qualifies
        bool all_qualify = key_literal.has_value();
        for (const ScalarValue& a : p.args) {
          if (!all_qualify) break;
          std::string value;
          if (const auto* b = std::get_if<bool>(&a)) {
            value = *b ? "true" : "false";
          } else if (const auto* str = std::get_if<std::string>(&a)) {
            value = *PathString(*str);  // NUL was refused by EqualityFilter above
          } else if (std::holds_alternative<std::monostate>(a)) {
            continue;
          } else {
            all_qualify = false;
            break;
          }
          members.push_back("[{\"key\":" + *key_literal + ",\"value\":" + value + "}]");
        }
        if (all_qualify && !members.empty()) {
          std::vector<std::string> contains;
          const std::string indexed = MetadataMembersSql(jsonb);
          for (const std::string& d : members) contains.push_back("(" + indexed + " @> " + param(d) + "::jsonb)");
          return Conj(contains, "OR");
        }
      }
      return with_filter(Conj(alternatives, "||"));
    }
    case PredicateOp::kLt:
    case PredicateOp::kLeq:
    case PredicateOp::kGt:
    case PredicateOp::kGeq:
    case PredicateOp::kBetween:
    case PredicateOp::kOutside: {
      if (auto f = NumericFilter(p)) return with_filter(*f);
      bool strings = !p.args.empty();
      for (const ScalarValue& a : p.args) strings = strings && std::holds_alternative<std::string>(a);
      const size_t arity = p.op == PredicateOp::kBetween ? 2 : 1;
      if (!strings || !plain || p.op == PredicateOp::kOutside || p.args.size() != arity) return present();
      for (const ScalarValue& a : p.args) {
        if (std::get<std::string>(a).find('\0') != std::string::npos) return present();
      }
      // Byte order, like the exact comparison of strings; non-string values may pass (a superset).
      const std::string text = "((" + jsonb + " #>> " + TextArray(m.key, param) + ") COLLATE \"C\"";
      auto arg = [&](size_t i) { return param(std::get<std::string>(p.args[i])); };
      switch (p.op) {
        case PredicateOp::kLt: return text + " < " + arg(0) + ")";
        case PredicateOp::kLeq: return text + " <= " + arg(0) + ")";
        case PredicateOp::kGt: return text + " > " + arg(0) + ")";
        case PredicateOp::kGeq: return text + " >= " + arg(0) + ")";
        case PredicateOp::kBetween: {
          std::string low = arg(0);
          return text + " BETWEEN " + low + " AND " + arg(1) + ")";
        }
        default: return "";  // not reached: kOutside returned above
      }
    }
    case PredicateOp::kMatch: {
      if (p.args.size() != 1) return present();
      const auto* pattern = std::get_if<std::string>(&p.args[0]);
      if (pattern == nullptr) return present();
      std::string prefix;
      for (char c : *pattern) {
        if (c == '*' || c == '?' || c == '#' || c == '[') break;
        prefix += c;
      }
      if (prefix.empty()) return present();
      auto literal = PathString(prefix);
      if (!literal) return present();
      return with_filter("@ starts with " + *literal);
    }
    case PredicateOp::kExists:
    case PredicateOp::kNeq:
      return present();
    case PredicateOp::kNotExists:
      break;
  }
  return "";
}

}  // namespace mosaico::catalog::postgres
