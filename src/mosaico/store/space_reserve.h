// SpaceReserve: a ballast file that keeps a little disk space aside so that a full disk can still be emptied.
//
// On a full disk every write fails, including the first step of a delete (its recovery mark in the catalog, its
// tombstone in the store), so nothing could be deleted to make room. A local store keeps `bytes` (default 8 MiB)
// in "<store root>/.mosaicod-reserve" (allocated with posix_fallocate, so the blocks really are taken); a delete
// that fails for lack of space releases the reserve and runs again, and the reserve is taken back as soon as there
// is room (after that delete, or at the next start). With several daemons on one store each keeps its own reserve
// file name (the pid is not part of it: one file per store root; a second daemon finds it present).
//
// An S3-compatible store has no disk of ours to fill: ForStore returns null for it.
// Thread-safe. The store's scans (check, GC, import, rebuild) look only under sequences/ and api_keys/, so the
// file is never taken for data.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <arrow/status.h>

#include "mosaico/store/object_store.h"

namespace mosaico::store {

class SpaceReserve {
 public:
  static constexpr int64_t kDefaultBytes = 8LL << 20;
  static constexpr char kFileName[] = ".mosaicod-reserve";

  // The reserve of a local store (not yet allocated: call Ensure), or null for any other store.
  static std::shared_ptr<SpaceReserve> ForStore(const ObjectStore& store, int64_t bytes = kDefaultBytes);

  explicit SpaceReserve(std::string path, int64_t bytes) : path_(std::move(path)), bytes_(bytes) {}

  // Makes sure the file exists with `bytes` allocated. IOError (with errno) when there is not enough room; a
  // partly allocated file is removed again.
  arrow::Status Ensure();
  // Removes the file; true when there was one to remove (space was freed).
  bool Release();
  const std::string& path() const { return path_; }

 private:
  std::mutex mu_;
  const std::string path_;
  const int64_t bytes_;
};

}  // namespace mosaico::store
