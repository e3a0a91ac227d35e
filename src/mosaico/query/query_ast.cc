#include "mosaico/query/query_ast.h"

namespace mosaico::query {

std::string OntologyCondition::StatsColumn() const {
  std::string out;
  for (const auto& step : path) {
    if (step.kind != PathStep::Kind::kField) return {};
    if (!out.empty()) out += '.';
    out += step.name;
  }
  return out;
}

const TagConditions* OntologyFilter::Find(const std::string& tag) const {
  for (const auto& t : tags) {
    if (t.tag == tag) return &t;
  }
  return nullptr;
}

}  // namespace mosaico::query
