#include "mosaico/jobs/job_metrics.h"

#include "mosaico/metrics/registry.h"

namespace mosaico::jobs {
namespace {

struct Families {
  metrics::Family<metrics::Counter>& runs;
  metrics::Family<metrics::Histogram>& duration;
};

const Families& F() {
  static const Families f{
      metrics::Default().AddCounter("mosaicod_job_runs_total",
                                    "Background job runs of this daemon's workers, by kind and outcome "
                                    "(done, retry, failed, released).",
                                    {"kind", "outcome"}),
      metrics::Default().AddHistogram("mosaicod_job_duration_seconds",
                                      "Handler time of background job runs in seconds, by kind.", {"kind"}),
  };
  return f;
}

}  // namespace

void RegisterJobMetrics() { (void)F(); }

void RecordJobRun(const std::string& kind, const char* outcome, double seconds) {
  F().runs.WithLabels({kind, outcome}).Inc();
  F().duration.WithLabels({kind}).Observe(seconds);
}

}  // namespace mosaico::jobs
