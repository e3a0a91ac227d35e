#include "mosaico/query/condition_parser.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>

#include "mosaico/core/errors.h"
#include "mosaico/core/glob.h"
#include "mosaico/query/query_limits.h"

namespace mosaico::query {
namespace {

std::optional<ValueKind> KindOf(const ScalarValue& v) {
  if (std::holds_alternative<bool>(v)) return ValueKind::kBool;
  if (std::holds_alternative<int64_t>(v) || std::holds_alternative<double>(v)) return ValueKind::kNumber;
  if (std::holds_alternative<std::string>(v)) return ValueKind::kString;
  return std::nullopt;
}

bool IsOrderOp(PredicateOp op) {
  switch (op) {
    case PredicateOp::kLt: case PredicateOp::kLeq: case PredicateOp::kGt: case PredicateOp::kGeq:
    case PredicateOp::kBetween: case PredicateOp::kOutside:
      return true;
    default:
      return false;
  }
}

// JSON scalar -> ScalarValue; `why` set (and monostate returned) when it is not an accepted scalar.
ScalarValue ToScalar(const Json& j, std::string* why) {
  switch (j.type()) {
    case Json::value_t::boolean: return j.get<bool>();
    case Json::value_t::number_integer: return j.get<int64_t>();
    case Json::value_t::number_unsigned: {
      const uint64_t u = j.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        *why = "integer argument out of the int64 range";
        return std::monostate{};
      }
      return static_cast<int64_t>(u);
    }
    case Json::value_t::number_float: {
      const double d = j.get<double>();
      if (!std::isfinite(d)) {
        *why = "number argument out of range";
        return std::monostate{};
      }
      return d;
    }
    case Json::value_t::string: return j.get<std::string>();
    case Json::value_t::binary:  // request_json.h: an integer literal beyond 64 bits
      *why = "integer argument out of the int64 range";
      return std::monostate{};
    default:
      *why = "not a scalar";
      return std::monostate{};
  }
}

const char* JsonTypeName(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "a list";
    case Json::value_t::string: return "a string";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::number_float: return "a float";
    default: return "an integer";
  }
}

}  // namespace

const char* ValueKindName(ValueKind kind) {
  switch (kind) {
    case ValueKind::kNumber: return "number";
    case ValueKind::kString: return "string";
    case ValueKind::kBool: return "bool";
  }
  return "?";
}

std::string Printable(std::string_view text) {
  constexpr size_t kMax = 200;
  size_t n = text.size();
  bool cut = false;
  if (n > kMax) {
    n = kMax;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;  // not inside a UTF-8 sequence
    cut = true;
  }
  std::string out;
  out.reserve(n + 8);
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (cut) out += "...";
  return out;
}

arrow::Status KeyError(std::string_view what, std::string_view key, std::string_view reason) {
  return InvalidArgument("query: " + std::string(what) + " '" + Printable(key) + "': " + std::string(reason));
}

arrow::Result<ScalarPredicate> ParseCondition(const Json& condition, std::string_view what, std::string_view key) {
  if (!condition.is_object() || condition.size() != 1) {
    return KeyError(what, key, "a condition is an object with exactly one operator, e.g. {\"$eq\": 1}");
  }
  const auto it = condition.begin();
  const std::string& name = it.key();
  const Json& arg = it.value();
  ScalarPredicate p;
  if (!ParsePredicateOp(name, &p.op)) return KeyError(what, key, "unknown operator '" + Printable(name) + "'");
  const std::string op = name;
  std::string why;
  switch (p.op) {
    case PredicateOp::kExists:
    case PredicateOp::kNotExists:
      return p;
    case PredicateOp::kBetween:
    case PredicateOp::kOutside: {
      if (!arg.is_array() || arg.size() != 2) return KeyError(what, key, op + " takes [min, max]");
      for (const auto& x : arg) {
        ScalarValue v = ToScalar(x, &why);
        if (!why.empty()) return KeyError(what, key, op + " bound: " + why);
        p.args.push_back(std::move(v));
      }
      const auto a = KindOf(p.args[0]), b = KindOf(p.args[1]);
      if (a != b || a == ValueKind::kBool) {
        return KeyError(what, key, op + " bounds must be two numbers or two strings");
      }
      return p;
    }
    case PredicateOp::kIn: {
      if (!arg.is_array()) return KeyError(what, key, "$in takes a list of values");
      if (static_cast<int64_t>(arg.size()) > kMaxInValues) {
        return KeyError(what, key, "$in takes at most " + std::to_string(kMaxInValues) + " values");
      }
      p.args.reserve(arg.size());
      for (const auto& x : arg) {
        ScalarValue v = ToScalar(x, &why);
        if (!why.empty()) return KeyError(what, key, "$in value: " + why);
        p.args.push_back(std::move(v));
      }
      return p;
    }
    case PredicateOp::kMatch: {
      if (!arg.is_string()) return KeyError(what, key, std::string("$match takes a string, not ") + JsonTypeName(arg));
      const auto& pattern = arg.get_ref<const std::string&>();
      if (pattern.empty()) return KeyError(what, key, "$match pattern is empty");
      if (static_cast<int64_t>(pattern.size()) > kMaxMatchPatternBytes) {
        return KeyError(what, key, "$match pattern longer than " + std::to_string(kMaxMatchPatternBytes) + " bytes");
      }
      auto glob = Glob::Compile(pattern);
      if (!glob.ok()) return KeyError(what, key, "$match: " + glob.status().message());
      p.args.emplace_back(pattern);
      return p;
    }
    case PredicateOp::kLt: case PredicateOp::kLeq: case PredicateOp::kGt: case PredicateOp::kGeq: {
      ScalarValue v = ToScalar(arg, &why);
      if (!why.empty() || KindOf(v) == ValueKind::kBool) {
        return KeyError(what, key, op + " takes a number or a string" + (why.empty() ? "" : " (" + why + ")"));
      }
      p.args.push_back(std::move(v));
      return p;
    }
    case PredicateOp::kEq:
    case PredicateOp::kNeq: {
      ScalarValue v = ToScalar(arg, &why);
      if (!why.empty()) return KeyError(what, key, op + " takes a number, a string or a boolean (" + why + ")");
      p.args.push_back(std::move(v));
      return p;
    }
  }
  return KeyError(what, key, "unsupported operator");
}

arrow::Status CheckKind(const ScalarPredicate& p, ValueKind kind, std::string_view what, std::string_view key) {
  if (p.op == PredicateOp::kMatch && kind != ValueKind::kString) {
    return KeyError(what, key, std::string("$match on a ") + ValueKindName(kind) + " field");
  }
  if (kind == ValueKind::kBool && IsOrderOp(p.op)) {
    return KeyError(what, key, std::string(PredicateOpName(p.op)) + " on a bool field");
  }
  for (const auto& v : p.args) {
    const auto k = KindOf(v);
    if (k != kind) {
      return KeyError(what, key,
                      std::string("a ") + (k ? ValueKindName(*k) : "null") + " value for a " + ValueKindName(kind) +
                          " field");
    }
  }
  return arrow::Status::OK();
}

}  // namespace mosaico::query
