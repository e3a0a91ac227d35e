#include "mosaico/query/ontology_key.h"

#include <arrow/type.h>

#include "mosaico/query/query_limits.h"

namespace mosaico::query {
namespace {

constexpr char kWhat[] = "ontology key";

bool IsListType(const arrow::DataType& t) {
  switch (t.id()) {
    case arrow::Type::LIST: case arrow::Type::LARGE_LIST: case arrow::Type::FIXED_SIZE_LIST:
      return true;
    default:
      return false;
  }
}

std::string StepText(const PathStep& s) {
  switch (s.kind) {
    case PathStep::Kind::kField: return "'" + Printable(s.name) + "'";
    case PathStep::Kind::kIndex: return "[" + std::to_string(s.index) + "]";
    case PathStep::Kind::kAny: return "[?]";
    case PathStep::Kind::kAll: return "[!]";
  }
  return "?";
}

}  // namespace

arrow::Result<ParsedKey> ParseOntologyKey(std::string_view key) {
  if (static_cast<int64_t>(key.size()) > kMaxKeyBytes) {
    return KeyError(kWhat, key, "longer than " + std::to_string(kMaxKeyBytes) + " bytes");
  }
  const size_t dot = key.find('.');
  if (dot == std::string_view::npos) return KeyError(kWhat, key, "must be <ontology_tag>.<field>");
  ParsedKey out;
  out.tag = std::string(key.substr(0, dot));
  if (out.tag.empty()) return KeyError(kWhat, key, "empty ontology tag");
  size_t i = dot + 1;
  while (true) {
    // A field name, then specifiers, then '.' or the end.
    const size_t start = i;
    while (i < key.size() && key[i] != '.' && key[i] != '[' && key[i] != ']') ++i;
    if (i == start) return KeyError(kWhat, key, "empty field name at byte " + std::to_string(start));
    out.path.push_back(PathStep{PathStep::Kind::kField, std::string(key.substr(start, i - start)), 0});
    while (i < key.size() && key[i] == '[') {
      const size_t close = key.find(']', i);
      if (close == std::string_view::npos) return KeyError(kWhat, key, "unclosed '['");
      const std::string_view spec = key.substr(i + 1, close - i - 1);
      PathStep step;
      if (spec == "?") {
        step.kind = PathStep::Kind::kAny;
      } else if (spec == "!") {
        step.kind = PathStep::Kind::kAll;
      } else {
        if (spec.empty()) return KeyError(kWhat, key, "empty list specifier []");
        int64_t n = 0;
        for (char c : spec) {
          if (c < '0' || c > '9') {
            return KeyError(kWhat, key, "bad list specifier '[" + Printable(spec) + "]' (use [N], [?] or [!])");
          }
          n = n * 10 + (c - '0');
          if (n > kMaxListIndex) return KeyError(kWhat, key, "list index too large");
        }
        step.kind = PathStep::Kind::kIndex;
        step.index = n;
      }
      out.path.push_back(std::move(step));
      i = close + 1;
    }
    if (static_cast<int64_t>(out.path.size()) > kMaxKeySegments) {
      return KeyError(kWhat, key, "more than " + std::to_string(kMaxKeySegments) + " segments");
    }
    if (i == key.size()) break;
    if (key[i] != '.') return KeyError(kWhat, key, "unexpected '" + std::string(1, key[i]) + "'");
    ++i;
    if (i == key.size()) return KeyError(kWhat, key, "ends with '.'");
  }
  return out;
}

std::optional<ValueKind> LeafKindOf(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::INT8: case arrow::Type::INT16: case arrow::Type::INT32: case arrow::Type::INT64:
    case arrow::Type::UINT8: case arrow::Type::UINT16: case arrow::Type::UINT32: case arrow::Type::UINT64:
    case arrow::Type::FLOAT: case arrow::Type::DOUBLE:
    case arrow::Type::DATE32: case arrow::Type::DATE64: case arrow::Type::TIME32: case arrow::Type::TIME64:
    case arrow::Type::TIMESTAMP: case arrow::Type::DURATION:
      return ValueKind::kNumber;
    case arrow::Type::STRING: case arrow::Type::LARGE_STRING: case arrow::Type::STRING_VIEW:
      return ValueKind::kString;
    case arrow::Type::BOOL:
      return ValueKind::kBool;
    case arrow::Type::DICTIONARY:
      return LeafKindOf(*static_cast<const arrow::DictionaryType&>(type).value_type());
    default:
      return std::nullopt;
  }
}

PathResolution ResolvePath(const arrow::Schema& schema, const std::vector<PathStep>& path) {
  PathResolution r;
  std::shared_ptr<arrow::DataType> node;  // null: at the schema root
  for (size_t i = 0; i < path.size(); ++i) {
    const PathStep& step = path[i];
    r.step = i;
    if (step.kind == PathStep::Kind::kField) {
      std::shared_ptr<arrow::Field> f;
      if (!node) {
        f = schema.GetFieldByName(step.name);
      } else if (node->id() == arrow::Type::STRUCT) {
        f = static_cast<const arrow::StructType&>(*node).GetFieldByName(step.name);
      } else {
        r.outcome = PathResolution::Outcome::kFieldOnNonStruct;
        return r;
      }
      if (!f) {
        r.outcome = PathResolution::Outcome::kMissing;
        return r;
      }
      node = f->type();
    } else {
      if (!node || !IsListType(*node)) {
        r.outcome = PathResolution::Outcome::kSpecOnNonList;
        return r;
      }
      node = static_cast<const arrow::BaseListType&>(*node).value_type();
    }
  }
  r.type = node;
  if (node->id() == arrow::Type::STRUCT || IsListType(*node) || node->id() == arrow::Type::MAP) {
    r.outcome = PathResolution::Outcome::kNotScalar;
    r.step = path.size();
    return r;
  }
  auto kind = LeafKindOf(*node);
  if (!kind) {
    r.outcome = PathResolution::Outcome::kUnsupported;
    r.step = path.size();
    return r;
  }
  r.outcome = PathResolution::Outcome::kLeaf;
  r.kind = *kind;
  return r;
}

std::string PathResolution::Reason(const std::vector<PathStep>& path) const {
  const std::string at = step < path.size() ? StepText(path[step]) : std::string();
  switch (outcome) {
    case Outcome::kLeaf: return "ok";
    case Outcome::kMissing: return "unknown field " + at;
    case Outcome::kNotScalar:
      return "does not name a scalar field (" + (type ? type->ToString() : std::string("?")) +
             "; a list needs [N], [?] or [!])";
    case Outcome::kSpecOnNonList: return "list specifier " + at + " on a field that is not a list";
    case Outcome::kFieldOnNonStruct: return "field " + at + " inside a value that is not a struct";
    case Outcome::kUnsupported:
      return "field of type " + (type ? type->ToString() : std::string("?")) + " is not queryable";
  }
  return "?";
}

}  // namespace mosaico::query
