#include "mosaico/read/stripe_plan.h"

#include <algorithm>
#include <cmath>

namespace mosaico::read {
namespace {

// Bytes of `u` that fall inside `window`, by the share of its time range the window covers.
double BytesInside(const StripeUnit& u, const TimeWindow& window) {
  const long double span = static_cast<long double>(u.ts_max) - u.ts_min + 1;
  long double lo = u.ts_min, hi = u.ts_max;
  if (window.start_ns) lo = std::max<long double>(lo, *window.start_ns);
  if (window.end_ns) hi = std::min<long double>(hi, static_cast<long double>(*window.end_ns) - 1);
  if (hi < lo) return 0;
  return static_cast<double>(static_cast<long double>(std::max<int64_t>(u.bytes, 0)) * ((hi - lo + 1) / span));
}

struct Cut {
  int64_t at;           // first timestamp of the stripe after the cut
  double bytes_before;  // bytes of the units entirely before it
};

}  // namespace

std::vector<Stripe> PlanStripes(std::vector<StripeUnit> units, const TimeWindow& window, int max_stripes) {
  std::erase_if(units, [&](const StripeUnit& u) { return u.ts_max < u.ts_min || !window.Overlaps(u.ts_min, u.ts_max); });
  std::sort(units.begin(), units.end(), [](const StripeUnit& a, const StripeUnit& b) { return a.ts_min < b.ts_min; });
  double total = 0;
  for (const auto& u : units) total += BytesInside(u, window);

  // Admissible cuts: the start of a unit that every unit starting earlier ends strictly before, inside the window.
  std::vector<Cut> cuts;
  double before = 0;
  int64_t max_end = 0;
  for (size_t i = 0; i < units.size(); ++i) {
    const StripeUnit& u = units[i];
    if (i > 0 && u.ts_min != units[i - 1].ts_min && max_end < u.ts_min &&
        (!window.start_ns || u.ts_min > *window.start_ns) && before > 0 && before < total) {
      cuts.push_back({u.ts_min, before});
    }
    max_end = i == 0 ? u.ts_max : std::max(max_end, u.ts_max);
    before += BytesInside(u, window);
  }

  // Cut k: the admissible point nearest to k/N of the bytes; one already taken is not taken twice.
  std::vector<const Cut*> chosen;
  const int n = std::max(1, max_stripes);
  for (int k = 1; k < n && !cuts.empty(); ++k) {
    const double target = total * k / n;
    auto it = std::lower_bound(cuts.begin(), cuts.end(), target,
                               [](const Cut& c, double t) { return c.bytes_before < t; });
    const Cut* best = nullptr;
    if (it != cuts.end()) best = &*it;
    if (it != cuts.begin()) {
      const Cut* prev = &*std::prev(it);
      if (!best || target - prev->bytes_before <= best->bytes_before - target) best = prev;
    }
    if (!chosen.empty() && best->at <= chosen.back()->at) continue;
    chosen.push_back(best);
  }

  std::vector<Stripe> out;
  Stripe current;
  current.window.start_ns = window.start_ns;
  double start_bytes = 0;
  for (const Cut* c : chosen) {
    current.window.end_ns = c->at;
    current.estimated_bytes = std::llround(c->bytes_before - start_bytes);
    out.push_back(current);
    current.window.start_ns = c->at;
    start_bytes = c->bytes_before;
  }
  current.window.end_ns = window.end_ns;
  current.estimated_bytes = std::llround(total - start_bytes);
  out.push_back(current);
  return out;
}

}  // namespace mosaico::read
