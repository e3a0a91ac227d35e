// Metrics registry: counters, gauges and histograms with labels, rendered in the Prometheus text exposition format
// (version 0.0.4) for the daemon's /metrics endpoint (server/monitoring.h; every metric: docs/OPERATIONS.md).
//
// Contract:
//  - A family is one metric name with a fixed list of label names. Its children are label-value combinations,
//    created on first use by WithLabels and never removed, so a reference to a child stays valid for the registry's
//    life (the process's life for Default()). Label values must come from small, closed sets (RPC methods, status
//    codes, job kinds, action names): every distinct combination is a series forever.
//  - Hot path: Counter::Inc, Gauge::Add/Set and Histogram::Observe are relaxed atomic operations on one child (no
//    lock, no allocation). WithLabels takes a shared lock for the lookup, an exclusive one the first time a
//    combination is seen: resolve a child once and keep the reference where a call site is hot.
//  - Adding a family under an existing name returns the existing family when type, label names and buckets match.
//    A mismatch, an invalid metric or label name, or WithLabels with the wrong number of values is a programming
//    error: the process aborts with a message naming the metric.
//  - Callback families compute their samples at render time (process figures, cached catalog counts). Adding one
//    under an existing callback name replaces its function (a restarted component re-registers). A callback must
//    not call back into the registry.
//  - Render() is thread-safe with every other method. Families appear sorted by name, children by label values;
//    a family without samples still shows its HELP and TYPE lines. A histogram child's cumulative buckets, +Inf
//    bucket and _count come from one snapshot, so they agree; _sum may include an observation a moment newer.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace mosaico::metrics {

enum class MetricType { kCounter, kGauge, kHistogram };

// A monotonically increasing count (requests, bytes, rows).
class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  alignas(64) std::atomic<uint64_t> value_{0};  // own cache line: hot counters of different series do not share
};

// A value that goes up and down (streams open, calls in flight).
class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  alignas(64) std::atomic<int64_t> value_{0};
};

// Observations counted into fixed buckets (upper bounds, inclusive), with their sum: latencies in seconds.
class Histogram {
 public:
  explicit Histogram(const std::vector<double>& bounds);
  void Observe(double v);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    uint64_t count = 0;
    double sum = 0;
  };
  Snapshot Read() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1: the last is the overflow (+Inf) bucket
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds, 1 ms .. 5 min: unary calls land in the first half, long streams in the second.
const std::vector<double>& LatencyBuckets();

// One sample of a callback family: label values in the family's label-name order.
struct Sample {
  std::vector<std::string> label_values;
  double value = 0;
};
using Collect = std::function<std::vector<Sample>()>;

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, MetricType type, std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;
  const std::string& name() const { return name_; }
  MetricType type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Appends the HELP and TYPE lines and every sample.
  void Render(std::string* out) const;

 protected:
  virtual void RenderSamples(std::string* out) const = 0;
  void CheckArity(size_t n) const;  // aborts unless n == label_names().size()

  const std::string name_;
  const std::string help_;
  const MetricType type_;
  const std::vector<std::string> label_names_;
};

template <typename T>
class Family final : public FamilyBase {
 public:
  using FamilyBase::FamilyBase;
  Family(std::string name, std::string help, MetricType type, std::vector<std::string> label_names,
         std::vector<double> bounds)
      : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)), bounds_(std::move(bounds)) {}

  // The child for these label values (in label-name order), created on first use.
  T& WithLabels(const std::vector<std::string>& values);
  T& WithLabels(std::initializer_list<std::string_view> values) {
    return WithLabels(std::vector<std::string>(values.begin(), values.end()));
  }
  // The only child of a family without labels.
  T& Get() { return WithLabels(std::vector<std::string>{}); }
  const std::vector<double>& bounds() const { return bounds_; }

 protected:
  void RenderSamples(std::string* out) const override;

 private:
  const std::vector<double> bounds_;  // histograms only
  mutable std::shared_mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> children_;  // guarded by mu_
};

class CallbackFamily final : public FamilyBase {
 public:
  CallbackFamily(std::string name, std::string help, MetricType type, std::vector<std::string> label_names,
                 Collect collect);
  void Replace(Collect collect);

 protected:
  void RenderSamples(std::string* out) const override;

 private:
  mutable std::mutex mu_;
  Collect collect_;  // guarded by mu_
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Counter names end in "_total" by convention (not enforced).
  Family<Counter>& AddCounter(const std::string& name, const std::string& help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(const std::string& name, const std::string& help, std::vector<std::string> label_names = {});
  // REQUIRES: bounds finite and strictly increasing; "le" is not a label name.
  Family<Histogram>& AddHistogram(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names, std::vector<double> bounds = LatencyBuckets());
  // `type` is kCounter or kGauge.
  void AddCallback(const std::string& name, const std::string& help, MetricType type,
                   std::vector<std::string> label_names, Collect collect);

  // The whole registry in the Prometheus text format.
  std::string Render() const;

 private:
  template <typename F, typename... Extra>
  F& AddFamily(const std::string& name, const std::string& help, MetricType type,
               std::vector<std::string> label_names, Extra&&... extra);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<FamilyBase>> families_;  // guarded by mu_; never erased
};

// The process-wide registry every component records into and /metrics renders. Never destroyed.
Registry& Default();

// Content-Type of Render()'s output.
inline constexpr char kTextContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// Text format helpers (exposed for tests): a sample value ("+Inf", "-Inf", "NaN", integers without a fraction,
// otherwise the shortest round-trip decimal), and a label value with \, " and newline escaped.
std::string FormatValue(double v);
std::string EscapeLabelValue(std::string_view v);

}  // namespace mosaico::metrics
