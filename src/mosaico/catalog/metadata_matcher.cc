#include "mosaico/catalog/metadata_matcher.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "mosaico/core/errors.h"

namespace mosaico::catalog {
namespace {

using Kind = JsonDoc::Kind;

// $in lists longer than this are searched by bisection (lists may hold up to 10 000 values).
constexpr size_t kMaxLinearInList = 16;

bool NumberLess(const ScalarValue& a, const ScalarValue& b) { return CompareNumbers(a, b) < 0; }

std::string JoinKey(const std::vector<std::string>& key) {
  std::string out;
  for (const std::string& segment : key) {
    if (!out.empty()) out += '.';
    out += segment;
  }
  return out;
}

}  // namespace

arrow::Result<std::unique_ptr<MetadataMatcher>> MetadataMatcher::Make(
    const std::vector<MetadataPredicate>& predicates) {
  std::unique_ptr<MetadataMatcher> matcher(new MetadataMatcher());
  for (const MetadataPredicate& p : predicates) {
    const std::string key = JoinKey(p.key);
    if (p.key.empty()) return InvalidArgument("user_metadata: empty key");
    Compiled c;
    for (const std::string& segment : p.key) {
      if (segment.empty()) return InvalidArgument("user_metadata key '" + key + "': empty segment");
      if (segment == "**") {
        c.segments.push_back(Segment::kAnyDepth);
        c.any_depth = true;
      } else {
        c.segments.push_back(segment == "*" ? Segment::kAnyMember : Segment::kName);
      }
      c.names.push_back(segment);
    }
    c.predicate = p.predicate;
    if (p.predicate.op == PredicateOp::kMatch && p.predicate.args.size() == 1) {
      if (const auto* pattern = std::get_if<std::string>(&p.predicate.args[0])) {
        auto glob = Glob::Compile(*pattern);
        if (!glob.ok()) return WithContext(glob.status(), "user_metadata key '" + key + "'");
        c.glob = std::move(*glob);
      }
    }
    if (p.predicate.op == PredicateOp::kIn && p.predicate.args.size() > kMaxLinearInList) {
      Compiled::InSet set;
      for (const ScalarValue& arg : p.predicate.args) {
        if (const auto* b = std::get_if<bool>(&arg)) {
          (*b ? set.has_true : set.has_false) = true;
        } else if (const auto* str = std::get_if<std::string>(&arg)) {
          set.strings.push_back(*str);
        } else if (std::holds_alternative<int64_t>(arg) ||
                   (std::holds_alternative<double>(arg) && !std::isnan(std::get<double>(arg)))) {
          set.numbers.push_back(arg);  // NaN equals nothing: left out
        }
      }
      std::sort(set.numbers.begin(), set.numbers.end(), NumberLess);
      std::sort(set.strings.begin(), set.strings.end());
      c.in_set = std::move(set);
    }
    matcher->compiled_.push_back(std::move(c));
  }
  return matcher;
}

MetadataMatcher::Outcome MetadataMatcher::Evaluate(std::string_view user_metadata_json) {
  if (!doc_.Parse(user_metadata_json) || doc_.node(0).kind != Kind::kObject) return Outcome::kNotAnObject;
  for (const Compiled& c : compiled_) {
    if (!PredicateHolds(c)) return Outcome::kNoMatch;
  }
  return Outcome::kMatch;
}

bool MetadataMatcher::PredicateHolds(const Compiled& c) {
  auto present = [](const JsonDoc::Node& node) { return node.kind != Kind::kNull; };
  switch (c.predicate.op) {
    case PredicateOp::kNotExists:
      return !AnyReached(c, present);
    case PredicateOp::kExists:
      return AnyReached(c, present);
    default:
      return AnyReached(c, [&](const JsonDoc::Node& node) { return Satisfies(c, node); });
  }
}

bool MetadataMatcher::Satisfies(const Compiled& c, const JsonDoc::Node& node) const {
  if (c.in_set) {
    const Compiled::InSet& set = *c.in_set;
    switch (node.kind) {
      case Kind::kBool:
        return node.boolean ? set.has_true : set.has_false;
      case Kind::kInt:
        return std::binary_search(set.numbers.begin(), set.numbers.end(), ScalarValue(node.integer), NumberLess);
      case Kind::kDouble:
        return !std::isnan(node.number) &&
               std::binary_search(set.numbers.begin(), set.numbers.end(), ScalarValue(node.number), NumberLess);
      case Kind::kString:
        return std::binary_search(set.strings.begin(), set.strings.end(), node.text,
                                  [](std::string_view a, std::string_view b) { return a < b; });
      default:
        return false;
    }
  }
  switch (node.kind) {
    case Kind::kNull:
    case Kind::kArray:
    case Kind::kObject:
      return false;
    case Kind::kBool:
      return mosaico::Holds(c.predicate, ScalarValue(node.boolean));
    case Kind::kInt:
      return mosaico::Holds(c.predicate, ScalarValue(node.integer));
    case Kind::kDouble:
      return mosaico::Holds(c.predicate, ScalarValue(node.number));
    case Kind::kString:
      if (c.glob) return c.glob->Matches(node.text);
      return mosaico::Holds(c.predicate, ScalarValue(std::string(node.text)));
  }
  return false;
}

template <typename Accept>
bool MetadataMatcher::AnyReached(const Compiled& c, Accept&& accept) {
  const auto depth = static_cast<uint32_t>(c.segments.size());
  if (c.any_depth) visited_.assign(static_cast<size_t>(doc_.size()) * (depth + 1), 0);
  stack_.clear();
  stack_.emplace_back(0, 0);
  while (!stack_.empty()) {
    const auto [node, segment] = stack_.back();
    stack_.pop_back();
    if (c.any_depth) {
      uint8_t& seen = visited_[static_cast<size_t>(node) * (depth + 1) + segment];
      if (seen) continue;
      seen = 1;
    }
    if (segment == depth) {
      if (accept(doc_.node(node))) return true;
      continue;
    }
    const bool object = doc_.node(node).kind == Kind::kObject;
    switch (c.segments[segment]) {
      case Segment::kAnyDepth:
        stack_.emplace_back(node, segment + 1);  // zero levels
        if (object) doc_.ForEachMember(node, [&](uint32_t child) { stack_.emplace_back(child, segment); });
        break;
      case Segment::kAnyMember:
        if (object) doc_.ForEachMember(node, [&](uint32_t child) { stack_.emplace_back(child, segment + 1); });
        break;
      case Segment::kName:
        if (object) {
          const uint32_t child = doc_.FindMember(node, c.names[segment]);
          if (child != 0) stack_.emplace_back(child, segment + 1);
        }
        break;
    }
  }
  return false;
}

}  // namespace mosaico::catalog
