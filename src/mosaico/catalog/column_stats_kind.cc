#include "mosaico/catalog/catalog.h"

namespace mosaico::catalog {

const char* ColumnStatsKindName(ColumnStats::Kind kind) {
  switch (kind) {
    case ColumnStats::Kind::kInt: return "int";
    case ColumnStats::Kind::kFloat: return "float";
    case ColumnStats::Kind::kString: return "string";
    case ColumnStats::Kind::kBool: return "bool";
  }
  return "int";
}

std::optional<ColumnStats::Kind> ParseColumnStatsKind(const std::string& name) {
  if (name == "int") return ColumnStats::Kind::kInt;
  if (name == "float") return ColumnStats::Kind::kFloat;
  if (name == "string") return ColumnStats::Kind::kString;
  if (name == "bool") return ColumnStats::Kind::kBool;
  return std::nullopt;
}

}  // namespace mosaico::catalog
