#include "mosaico/jobs/store_times.h"

#include <algorithm>

#include <arrow/filesystem/filesystem.h>

namespace mosaico::jobs {
namespace {

std::optional<int64_t> TimeOf(const arrow::fs::FileInfo& info) {
  if (info.type() != arrow::fs::FileType::File || info.mtime() == arrow::fs::kNoTime) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::nanoseconds>(info.mtime().time_since_epoch()).count();
}

}  // namespace

arrow::Result<std::optional<int64_t>> ObjectTimeNs(store::ObjectStore& store, const std::string& key) {
  ARROW_ASSIGN_OR_RAISE(auto info, store.filesystem()->GetFileInfo(store.root() + "/" + key));
  return TimeOf(info);
}

arrow::Result<std::optional<int64_t>> NewestObjectTimeNs(store::ObjectStore& store, const std::string& prefix) {
  ARROW_ASSIGN_OR_RAISE(auto top, store.filesystem()->GetFileInfo(store.root() + "/" + prefix));
  if (top.type() == arrow::fs::FileType::NotFound) return std::nullopt;
  if (top.type() == arrow::fs::FileType::File) return TimeOf(top);
  arrow::fs::FileSelector selector;
  selector.base_dir = store.root() + "/" + prefix;
  selector.recursive = true;
  selector.allow_not_found = true;
  ARROW_ASSIGN_OR_RAISE(auto infos, store.filesystem()->GetFileInfo(selector));
  std::optional<int64_t> newest;
  for (const auto& info : infos) {
    auto t = TimeOf(info);
    if (t && (!newest || *t > *newest)) newest = t;
  }
  return newest;
}

}  // namespace mosaico::jobs
