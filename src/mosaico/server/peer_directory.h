// PeerDirectory: this daemon's entry in the catalog's daemon registry (catalog.h, DaemonRecord) and the cached list
// of live daemons, from which GetFlightInfo gives endpoint locations (server/flight_info_builder.h).
//
// Contract:
//  - Only a daemon started with --advertise-uri takes part: Make() validates the settings (the directory can be
//    handed to the Flight service before it listens), Start() -- once listening -- records it at once (a catalog
//    that refuses is a start-up error), then a thread beats every heartbeat interval; Stop() (or destruction) ends the thread and
//    removes the row, so a clean shutdown leaves the set at once.
//  - A daemon is live while its last beat is younger than kMissedBeats intervals (clocks of the daemons must agree
//    to well within that: NTP). Each beat also deletes the rows older than that: dead daemons age out of the
//    catalog, whoever is left to notice.
//  - Locations(n): for the n endpoints of one reply, nothing when fewer than two daemons are live (endpoints then
//    reuse the caller's connection, as with one daemon); else, per endpoint, every live daemon's uri, rotated so
//    that endpoint i starts at daemon (r + i) mod D, r advancing by one per call: the stripes of one read spread
//    over the daemons, and successive reads start at different ones. Any uri serves any ticket.
//  - The cache is refreshed by the beats, never per request: a reply costs no catalog round trip. A failed beat is
//    logged (warn) and keeps the last list.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"

namespace mosaico::server {

class PeerDirectory {
 public:
  static constexpr int kMissedBeats = 3;

  struct Options {
    std::string advertise_uri;     // how clients reach this daemon, e.g. grpc://10.0.0.5:6726
    double heartbeat_seconds = 2;  // > 0
  };

  // Validates the uri (a Flight location: INVALID_ARGUMENT naming --advertise-uri) and the interval.
  static arrow::Result<std::shared_ptr<PeerDirectory>> Make(std::shared_ptr<catalog::Catalog> catalog,
                                                            Options options);
  // Beats once (its error is returned), then starts the heartbeat thread.
  arrow::Status Start();
  ~PeerDirectory();
  PeerDirectory(const PeerDirectory&) = delete;
  PeerDirectory& operator=(const PeerDirectory&) = delete;

  void Stop();

  std::vector<std::vector<std::string>> Locations(size_t n);
  std::vector<std::string> live() const;

  PeerDirectory(std::shared_ptr<catalog::Catalog> catalog, Options options);  // use Make

 private:
  arrow::Status Beat();
  void Run();

  std::shared_ptr<catalog::Catalog> catalog_;
  const Options options_;
  const int64_t started_at_ns_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;                   // under mu_
  std::vector<std::string> live_;       // under mu_, sorted
  std::atomic<uint64_t> rotation_{0};
  std::thread thread_;
};

}  // namespace mosaico::server
