#include "mosaico/server/peer_directory.h"

#include <chrono>

#include <arrow/flight/types.h>
#include <spdlog/spdlog.h>

#include "mosaico/core/clock.h"
#include "mosaico/core/errors.h"

namespace mosaico::server {

arrow::Result<std::shared_ptr<PeerDirectory>> PeerDirectory::Make(std::shared_ptr<catalog::Catalog> catalog,
                                                                  Options options) {
  auto parsed = arrow::flight::Location::Parse(options.advertise_uri);
  if (!parsed.ok() || options.advertise_uri.find("://") == std::string::npos) {
    return InvalidArgument("--advertise-uri '" + options.advertise_uri +
                           "' is not a Flight location (grpc://host:port or grpc+tls://host:port)");
  }
  if (!(options.heartbeat_seconds > 0)) return InvalidArgument("--heartbeat-seconds must be > 0");
  return std::make_shared<PeerDirectory>(std::move(catalog), std::move(options));
}

arrow::Status PeerDirectory::Start() {
  ARROW_RETURN_NOT_OK(WithContext(Beat(), "daemon registry (--advertise-uri)"));
  thread_ = std::thread([this] { Run(); });
  spdlog::info("event=daemon_registered uri={} heartbeat_seconds={} live={}", options_.advertise_uri,
               options_.heartbeat_seconds, live().size());
  return arrow::Status::OK();
}

PeerDirectory::PeerDirectory(std::shared_ptr<catalog::Catalog> catalog, Options options)
    : catalog_(std::move(catalog)), options_(std::move(options)), started_at_ns_(NowNs()) {}

PeerDirectory::~PeerDirectory() { Stop(); }

void PeerDirectory::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  wake_.notify_all();
  if (!thread_.joinable()) return;  // never started: never registered
  thread_.join();
  auto removed = catalog_->RemoveDaemons(options_.advertise_uri, /*before_ns=*/0);
  if (!removed.ok()) {
    spdlog::warn("event=daemon_unregister_failed uri={} status=\"{}\"", options_.advertise_uri,
                 removed.status().ToString());
  }
}

arrow::Status PeerDirectory::Beat() {
  const int64_t now = NowNs();
  const auto ttl = static_cast<int64_t>(options_.heartbeat_seconds * kMissedBeats * 1e9);
  ARROW_RETURN_NOT_OK(catalog_->HeartbeatDaemon(options_.advertise_uri, started_at_ns_, now));
  ARROW_ASSIGN_OR_RAISE(auto aged, catalog_->RemoveDaemons(std::nullopt, now - ttl));
  ARROW_ASSIGN_OR_RAISE(auto live, catalog_->ListLiveDaemons(now - ttl));
  std::vector<std::string> uris;
  for (auto& d : live) uris.push_back(std::move(d.uri));
  std::lock_guard lock(mu_);
  if (aged > 0 || uris != live_) {
    spdlog::info("event=daemons_changed live={} aged_out={}", uris.size(), aged);
  }
  live_ = std::move(uris);
  return arrow::Status::OK();
}

void PeerDirectory::Run() {
  const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(options_.heartbeat_seconds));
  auto next = std::chrono::steady_clock::now() + interval;
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (wake_.wait_until(lock, next, [this] { return stop_; })) return;
    }
    next += interval;
    if (auto st = Beat(); !st.ok()) {
      spdlog::warn("event=daemon_heartbeat_failed uri={} status=\"{}\"", options_.advertise_uri, st.ToString());
    }
  }
}

std::vector<std::string> PeerDirectory::live() const {
  std::lock_guard lock(mu_);
  return live_;
}

std::vector<std::vector<std::string>> PeerDirectory::Locations(size_t n) {
  const std::vector<std::string> live = this->live();
  if (live.size() < 2) return {};
  const uint64_t r = rotation_.fetch_add(1, std::memory_order_relaxed);
  std::vector<std::vector<std::string>> out(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t first = (r + i) % live.size();
    for (size_t k = 0; k < live.size(); ++k) out[i].push_back(live[(first + k) % live.size()]);
  }
  return out;
}

}  // namespace mosaico::server
