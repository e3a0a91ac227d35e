#include "mosaico/core/crash_point.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mosaico {
namespace {

struct Armed {
  std::string name;
  long at = 1;
  long seen = 0;
};

struct Config {
  std::mutex mu;
  std::vector<Armed> points;
};

Config* Load() {
  const char* env = std::getenv("MOSAICOD_CRASH_AT");
  if (env == nullptr || *env == '\0') return nullptr;
  auto* config = new Config();  // lives until the process dies
  std::string spec(env);
  size_t start = 0;
  while (start <= spec.size()) {
    size_t end = spec.find(',', start);
    if (end == std::string::npos) end = spec.size();
    std::string item = spec.substr(start, end - start);
    if (!item.empty()) {
      Armed a;
      const size_t colon = item.find(':');
      a.name = item.substr(0, colon);
      if (colon != std::string::npos) a.at = std::max(1L, std::strtol(item.c_str() + colon + 1, nullptr, 10));
      config->points.push_back(std::move(a));
    }
    start = end + 1;
  }
  return config;
}

Config* Get() {
  static Config* config = Load();
  return config;
}

}  // namespace

void CrashPoint(std::string_view name) {
  Config* config = Get();
  if (config == nullptr) return;
  std::lock_guard<std::mutex> lock(config->mu);
  for (auto& a : config->points) {
    if (a.name == name && ++a.seen == a.at) ::kill(::getpid(), SIGKILL);
  }
}

}  // namespace mosaico
