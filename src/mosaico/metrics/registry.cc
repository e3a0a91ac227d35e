#include "mosaico/metrics/registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <type_traits>

namespace mosaico::metrics {
namespace {

[[noreturn]] void Fatal(const std::string& what) {
  std::fprintf(stderr, "mosaicod: metrics registry misuse: %s\n", what.c_str());
  std::abort();
}

bool ValidName(std::string_view s, bool allow_colon) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

const char* TypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// HELP text: backslash and newline escaped.
std::string EscapeHelp(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// `name{l1="v1",l2="v2"[,extra]}` (no braces when there is nothing inside).
void AppendSeries(std::string* out, std::string_view name, const std::vector<std::string>& label_names,
                  const std::vector<std::string>& values, std::string_view extra = {}) {
  out->append(name);
  if (label_names.empty() && extra.empty()) return;
  out->push_back('{');
  for (size_t i = 0; i < label_names.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->append(label_names[i]);
    out->append("=\"");
    out->append(EscapeLabelValue(values[i]));
    out->push_back('"');
  }
  if (!extra.empty()) {
    if (!label_names.empty()) out->push_back(',');
    out->append(extra);
  }
  out->push_back('}');
}

void AppendLine(std::string* out, std::string_view name, const std::vector<std::string>& label_names,
                const std::vector<std::string>& values, const std::string& value, std::string_view extra = {}) {
  AppendSeries(out, name, label_names, values, extra);
  out->push_back(' ');
  out->append(value);
  out->push_back('\n');
}

void AddToSum(std::atomic<double>* sum, double v) {
  double cur = sum->load(std::memory_order_relaxed);
  while (!sum->compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

}  // namespace

// ------------------------------------------------------------------------------------------------ formatting

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::trunc(v) && std::fabs(v) < 9.007199254740992e15) {
    return std::to_string(static_cast<int64_t>(v));
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, res.ptr);
}

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ histogram

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), counts_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  // Bucket i counts v <= bounds_[i] (and > bounds_[i-1]); the last one everything above the largest bound.
  const size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  AddToSum(&sum_, v);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  s.cumulative.resize(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                               1,     2.5,    5,     10,   30,    60,   120,  300};
  return kBuckets;
}

// ------------------------------------------------------------------------------------------------ families

FamilyBase::FamilyBase(std::string name, std::string help, MetricType type, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), type_(type), label_names_(std::move(label_names)) {}

void FamilyBase::Render(std::string* out) const {
  out->append("# HELP ").append(name_).append(" ").append(EscapeHelp(help_)).append("\n");
  out->append("# TYPE ").append(name_).append(" ").append(TypeName(type_)).append("\n");
  RenderSamples(out);
}

void FamilyBase::CheckArity(size_t n) const {
  if (n != label_names_.size()) {
    Fatal("metric '" + name_ + "' has " + std::to_string(label_names_.size()) + " labels, given " +
          std::to_string(n) + " values");
  }
}

template <typename T>
T& Family<T>::WithLabels(const std::vector<std::string>& values) {
  CheckArity(values.size());
  {
    std::shared_lock lock(mu_);
    auto it = children_.find(values);
    if (it != children_.end()) return *it->second;
  }
  std::unique_lock lock(mu_);
  auto& slot = children_[values];
  if (!slot) {
    if constexpr (std::is_same_v<T, Histogram>) {
      slot = std::make_unique<Histogram>(bounds_);
    } else {
      slot = std::make_unique<T>();
    }
  }
  return *slot;
}

template <typename T>
void Family<T>::RenderSamples(std::string* out) const {
  std::shared_lock lock(mu_);
  for (const auto& [values, child] : children_) {
    if constexpr (std::is_same_v<T, Histogram>) {
      const Histogram::Snapshot s = child->Read();
      const std::string bucket = name_ + "_bucket";
      for (size_t i = 0; i < bounds_.size(); ++i) {
        AppendLine(out, bucket, label_names_, values, std::to_string(s.cumulative[i]),
                   "le=\"" + FormatValue(bounds_[i]) + "\"");
      }
      AppendLine(out, bucket, label_names_, values, std::to_string(s.count), "le=\"+Inf\"");
      AppendLine(out, name_ + "_sum", label_names_, values, FormatValue(s.sum));
      AppendLine(out, name_ + "_count", label_names_, values, std::to_string(s.count));
    } else {
      AppendLine(out, name_, label_names_, values, std::to_string(child->value()));
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

CallbackFamily::CallbackFamily(std::string name, std::string help, MetricType type,
                               std::vector<std::string> label_names, Collect collect)
    : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)), collect_(std::move(collect)) {}

void CallbackFamily::Replace(Collect collect) {
  std::lock_guard lock(mu_);
  collect_ = std::move(collect);
}

void CallbackFamily::RenderSamples(std::string* out) const {
  std::vector<Sample> samples;
  {
    std::lock_guard lock(mu_);
    if (collect_) samples = collect_();
  }
  for (const Sample& s : samples) {
    if (s.label_values.size() != label_names_.size()) continue;  // a callback's bug must not break the page
    AppendLine(out, name_, label_names_, s.label_values, FormatValue(s.value));
  }
}

// ------------------------------------------------------------------------------------------------ registry

template <typename F, typename... Extra>
F& Registry::AddFamily(const std::string& name, const std::string& help, MetricType type,
                       std::vector<std::string> label_names, Extra&&... extra) {
  if (!ValidName(name, /*allow_colon=*/true)) Fatal("invalid metric name '" + name + "'");
  for (const auto& l : label_names) {
    if (!ValidName(l, /*allow_colon=*/false) || l.rfind("__", 0) == 0) {
      Fatal("invalid label name '" + l + "' of metric '" + name + "'");
    }
    if (type == MetricType::kHistogram && l == "le") Fatal("histogram '" + name + "' cannot have a label 'le'");
  }
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    auto* existing = dynamic_cast<F*>(it->second.get());
    if (existing == nullptr || existing->type() != type || existing->label_names() != label_names) {
      Fatal("metric '" + name + "' registered twice with different types or labels");
    }
    return *existing;
  }
  auto family = std::make_unique<F>(name, help, type, std::move(label_names), std::forward<Extra>(extra)...);
  F& ref = *family;
  families_.emplace(name, std::move(family));
  return ref;
}

Family<Counter>& Registry::AddCounter(const std::string& name, const std::string& help,
                                      std::vector<std::string> label_names) {
  return AddFamily<Family<Counter>>(name, help, MetricType::kCounter, std::move(label_names));
}

Family<Gauge>& Registry::AddGauge(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names) {
  return AddFamily<Family<Gauge>>(name, help, MetricType::kGauge, std::move(label_names));
}

Family<Histogram>& Registry::AddHistogram(const std::string& name, const std::string& help,
                                          std::vector<std::string> label_names, std::vector<double> bounds) {
  if (bounds.empty()) Fatal("histogram '" + name + "' has no buckets");
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      Fatal("histogram '" + name + "' buckets must be finite and strictly increasing");
    }
  }
  auto& family = AddFamily<Family<Histogram>>(name, help, MetricType::kHistogram, std::move(label_names), bounds);
  if (family.bounds() != bounds) Fatal("histogram '" + name + "' registered twice with different buckets");
  return family;
}

void Registry::AddCallback(const std::string& name, const std::string& help, MetricType type,
                           std::vector<std::string> label_names, Collect collect) {
  if (type == MetricType::kHistogram) Fatal("callback metric '" + name + "' must be a counter or a gauge");
  auto& family = AddFamily<CallbackFamily>(name, help, type, std::move(label_names), Collect());
  family.Replace(std::move(collect));
}

std::string Registry::Render() const {
  std::vector<const FamilyBase*> families;
  {
    std::lock_guard lock(mu_);
    families.reserve(families_.size());
    for (const auto& [name, family] : families_) families.push_back(family.get());
  }
  // Families are never erased, so the pointers stay valid outside the lock (callbacks run without it).
  std::string out;
  out.reserve(families.size() * 256);
  for (const FamilyBase* f : families) f->Render(&out);
  return out;
}

Registry& Default() {
  static Registry* registry = new Registry();  // never destroyed: threads may record during process exit
  return *registry;
}

}  // namespace mosaico::metrics
