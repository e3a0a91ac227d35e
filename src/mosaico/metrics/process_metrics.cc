#include "mosaico/metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace mosaico::metrics {
namespace {

struct ProcStat {
  double cpu_seconds = 0;
  double start_time_seconds = 0;
  double virtual_bytes = 0;
  double resident_bytes = 0;
};

std::optional<double> BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double v = 0;
      if (in >> v) return v;
      return std::nullopt;
    }
    in.ignore(1 << 20, '\n');
  }
  return std::nullopt;
}

// /proc/self/stat: the fields after the parenthesized command name (which may itself hold spaces or ')').
std::optional<ProcStat> ReadProcStat() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  // Field 3 (state) is the first after ')'; utime and stime are fields 14 and 15, starttime 22, vsize 23, rss 24.
  std::string field;
  std::vector<std::string> f;
  while (rest >> field) f.push_back(field);
  if (f.size() < 22) return std::nullopt;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  if (ticks <= 0 || page <= 0) return std::nullopt;
  auto at = [&](int field_number) { return std::stod(f[static_cast<size_t>(field_number - 3)]); };
  ProcStat s;
  try {
    s.cpu_seconds = (at(14) + at(15)) / ticks;
    s.virtual_bytes = at(23);
    s.resident_bytes = at(24) * page;
    auto boot = BootTimeSeconds();
    if (!boot) return std::nullopt;
    s.start_time_seconds = *boot + at(22) / ticks;
  } catch (...) {
    return std::nullopt;
  }
  return s;
}

std::optional<double> OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  double n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the descriptor of the listing itself
}

std::vector<Sample> One(std::optional<double> v) {
  if (!v) return {};
  return {Sample{{}, *v}};
}

}  // namespace

void RegisterProcessMetrics(Registry& registry) {
  registry.AddCallback("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                       MetricType::kCounter, {}, [] {
                         auto s = ReadProcStat();
                         return One(s ? std::optional<double>(s->cpu_seconds) : std::nullopt);
                       });
  registry.AddCallback("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::kGauge, {}, [] {
    auto s = ReadProcStat();
    return One(s ? std::optional<double>(s->resident_bytes) : std::nullopt);
  });
  registry.AddCallback("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::kGauge, {}, [] {
    auto s = ReadProcStat();
    return One(s ? std::optional<double>(s->virtual_bytes) : std::nullopt);
  });
  registry.AddCallback("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                       MetricType::kGauge, {}, [] {
                         auto s = ReadProcStat();
                         return One(s ? std::optional<double>(s->start_time_seconds) : std::nullopt);
                       });
  registry.AddCallback("process_open_fds", "Number of open file descriptors.", MetricType::kGauge, {},
                       [] { return One(OpenFds()); });
  registry.AddCallback("process_max_fds", "Maximum number of open file descriptors.", MetricType::kGauge, {}, [] {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return One(std::nullopt);
    return One(static_cast<double>(lim.rlim_cur));
  });
}

}  // namespace mosaico::metrics
