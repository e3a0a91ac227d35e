// The metrics registry (metrics/registry.h): counters, gauges, histograms with labels, callback families, and their
// Prometheus text rendering (HELP/TYPE lines, label escaping, cumulative buckets, value formatting), concurrent
// increments, and the aborts that catch misuse.
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "mosaico/metrics/process_metrics.h"
#include "mosaico/metrics/registry.h"

namespace mosaico::metrics {
namespace {

bool Has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

TEST(Registry, CounterWithLabelsRendersHelpTypeAndOneLinePerChild) {
  Registry r;
  auto& f = r.AddCounter("demo_requests_total", "Requests.", {"method", "code"});
  f.WithLabels({"DoPut", "OK"}).Inc();
  f.WithLabels({"DoPut", "OK"}).Inc(2);
  f.WithLabels({"DoGet", "NOT_FOUND"}).Inc();
  const std::string text = r.Render();
  EXPECT_TRUE(Has(text, "# HELP demo_requests_total Requests.\n# TYPE demo_requests_total counter\n")) << text;
  EXPECT_TRUE(Has(text, "demo_requests_total{method=\"DoPut\",code=\"OK\"} 3\n")) << text;
  EXPECT_TRUE(Has(text, "demo_requests_total{method=\"DoGet\",code=\"NOT_FOUND\"} 1\n")) << text;
  // Children are sorted by label values: DoGet before DoPut.
  EXPECT_LT(text.find("method=\"DoGet\""), text.find("method=\"DoPut\""));
}

TEST(Registry, UnlabelledFamiliesHaveNoBracesAndAppearBeforeAnySample) {
  Registry r;
  r.AddGauge("demo_open", "Open things.");
  r.AddCounter("demo_bytes_total", "Bytes.");
  std::string text = r.Render();
  EXPECT_TRUE(Has(text, "# TYPE demo_open gauge\n")) << text;
  EXPECT_FALSE(Has(text, "demo_open 0")) << "no child yet: no sample line\n" << text;
  r.AddGauge("demo_open", "Open things.").Get().Add(3);
  r.AddGauge("demo_open", "Open things.").Get().Add(-1);
  text = r.Render();
  EXPECT_TRUE(Has(text, "\ndemo_open 2\n")) << text;
  // Families come out sorted by name.
  EXPECT_LT(text.find("demo_bytes_total"), text.find("demo_open"));
}

TEST(Registry, GaugeSetOverwrites) {
  Registry r;
  auto& g = r.AddGauge("demo_g", "G.").Get();
  g.Set(41);
  g.Set(-7);
  EXPECT_EQ(g.value(), -7);
  EXPECT_TRUE(Has(r.Render(), "\ndemo_g -7\n"));
}

TEST(Registry, AddingTheSameFamilyTwiceReturnsIt) {
  Registry r;
  auto& a = r.AddCounter("demo_total", "Demo.", {"k"});
  auto& b = r.AddCounter("demo_total", "Demo.", {"k"});
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(&a.WithLabels({"x"}), &b.WithLabels({"x"}));
}

TEST(Registry, HistogramBucketsAreCumulativeAndCountMatchesInf) {
  Registry r;
  auto& h = r.AddHistogram("demo_seconds", "Latency.", {"method"}, {0.1, 1, 10}).WithLabels({"DoGet"});
  for (double v : {0.05, 0.1, 0.5, 5.0, 50.0}) h.Observe(v);
  const std::string text = r.Render();
  EXPECT_TRUE(Has(text, "# TYPE demo_seconds histogram\n")) << text;
  EXPECT_TRUE(Has(text, "demo_seconds_bucket{method=\"DoGet\",le=\"0.1\"} 2\n")) << text;  // 0.1 is inclusive
  EXPECT_TRUE(Has(text, "demo_seconds_bucket{method=\"DoGet\",le=\"1\"} 3\n")) << text;
  EXPECT_TRUE(Has(text, "demo_seconds_bucket{method=\"DoGet\",le=\"10\"} 4\n")) << text;
  EXPECT_TRUE(Has(text, "demo_seconds_bucket{method=\"DoGet\",le=\"+Inf\"} 5\n")) << text;
  EXPECT_TRUE(Has(text, "demo_seconds_count{method=\"DoGet\"} 5\n")) << text;
  EXPECT_TRUE(Has(text, "demo_seconds_sum{method=\"DoGet\"} 55.65\n")) << text;
}

TEST(Registry, HistogramWithoutLabels) {
  Registry r;
  r.AddHistogram("demo_h", "H.", {}, {1}).Get().Observe(2);
  const std::string text = r.Render();
  EXPECT_TRUE(Has(text, "demo_h_bucket{le=\"1\"} 0\n")) << text;
  EXPECT_TRUE(Has(text, "demo_h_bucket{le=\"+Inf\"} 1\n")) << text;
  EXPECT_TRUE(Has(text, "demo_h_count 1\n")) << text;
}

TEST(Registry, LabelValuesAndHelpAreEscaped) {
  Registry r;
  r.AddCounter("demo_total", "Line one\nback\\slash", {"v"}).WithLabels({"a\"b\\c\nd"}).Inc();
  const std::string text = r.Render();
  EXPECT_TRUE(Has(text, "# HELP demo_total Line one\\nback\\\\slash\n")) << text;
  EXPECT_TRUE(Has(text, "demo_total{v=\"a\\\"b\\\\c\\nd\"} 1\n")) << text;
}

TEST(Registry, CallbackFamiliesRenderWhatTheCallbackReturnsAndCanBeReplaced) {
  Registry r;
  r.AddCallback("demo_cb", "CB.", MetricType::kGauge, {"kind"}, [] {
    return std::vector<Sample>{{{"a"}, 1.5}, {{"b"}, 2}, {{"too", "many"}, 3}};
  });
  std::string text = r.Render();
  EXPECT_TRUE(Has(text, "# TYPE demo_cb gauge\n")) << text;
  EXPECT_TRUE(Has(text, "demo_cb{kind=\"a\"} 1.5\n")) << text;
  EXPECT_TRUE(Has(text, "demo_cb{kind=\"b\"} 2\n")) << text;
  EXPECT_FALSE(Has(text, "too")) << "a sample with the wrong arity is dropped\n" << text;
  r.AddCallback("demo_cb", "CB.", MetricType::kGauge, {"kind"}, [] { return std::vector<Sample>{{{"c"}, 7}}; });
  text = r.Render();
  EXPECT_FALSE(Has(text, "kind=\"a\"")) << text;
  EXPECT_TRUE(Has(text, "demo_cb{kind=\"c\"} 7\n")) << text;
}

TEST(FormatValue, IntegersPlainFractionsShortestSpecialsSpelled) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(42), "42");
  EXPECT_EQ(FormatValue(-3), "-3");
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(0.0025), "0.0025");
  EXPECT_EQ(FormatValue(1e300), "1e+300");
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatValue(0.0 / 0.0), "NaN");
}

TEST(Registry, ConcurrentIncrementsAreAllCounted) {
  Registry r;
  auto& family = r.AddCounter("demo_total", "Demo.", {"t"});
  auto& hist = r.AddHistogram("demo_seconds", "Demo.", {}, {0.5}).Get();
  constexpr int kThreads = 8, kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        family.WithLabels({std::to_string(i % 3)}).Inc();  // children created concurrently too
        hist.Observe(t % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  for (auto& th : threads) th.join();
  uint64_t total = 0;
  for (const char* v : {"0", "1", "2"}) total += family.WithLabels({v}).value();
  EXPECT_EQ(total, uint64_t{kThreads} * kPerThread);
  const auto snap = hist.Read();
  EXPECT_EQ(snap.count, uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(snap.cumulative[0], uint64_t{kThreads / 2} * kPerThread);
  EXPECT_DOUBLE_EQ(snap.sum, (kThreads / 2) * kPerThread * 0.25 + (kThreads / 2) * kPerThread * 1.0);
}

TEST(RegistryDeathTest, MisuseAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Registry r;
        r.AddCounter("bad name", "x");
      },
      "invalid metric name");
  EXPECT_DEATH(
      {
        Registry r;
        r.AddCounter("demo_total", "x", {"a"});
        r.AddGauge("demo_total", "x", {"a"});
      },
      "registered twice");
  EXPECT_DEATH(
      {
        Registry r;
        r.AddCounter("demo_total", "x", {"a"}).WithLabels({"1", "2"});
      },
      "has 1 labels, given 2");
  EXPECT_DEATH(
      {
        Registry r;
        r.AddHistogram("demo_h", "x", {"le"});
      },
      "cannot have a label 'le'");
  EXPECT_DEATH(
      {
        Registry r;
        r.AddHistogram("demo_h", "x", {}, {1, 1});
      },
      "strictly increasing");
}

TEST(ProcessMetrics, ReportTheStandardProcessFigures) {
  Registry r;
  RegisterProcessMetrics(r);
  RegisterProcessMetrics(r);  // idempotent
  const std::string text = r.Render();
  for (const char* name : {"process_cpu_seconds_total ", "process_resident_memory_bytes ",
                           "process_virtual_memory_bytes ", "process_open_fds ", "process_max_fds ",
                           "process_start_time_seconds "}) {
    EXPECT_TRUE(Has(text, std::string("\n") + name)) << name << "\n" << text;
  }
  EXPECT_TRUE(Has(text, "# TYPE process_cpu_seconds_total counter\n"));
}

}  // namespace
}  // namespace mosaico::metrics
