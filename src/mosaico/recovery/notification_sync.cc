#include "mosaico/recovery/notification_sync.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>

#include "mosaico/core/clock.h"
#include "mosaico/core/errors.h"
#include "mosaico/lifecycle/manifests.h"
#include "mosaico/recovery/check_internal.h"
#include "mosaico/store/layout.h"

namespace mosaico::recovery {
namespace {

namespace layout = store::layout;

arrow::Result<std::vector<lifecycle::ParsedNotification>> StoreNotifications(store::ObjectStore& store,
                                                                             const std::string& sequence,
                                                                             const std::optional<std::string>& topic) {
  ARROW_ASSIGN_OR_RAISE(auto keys, store.List(layout::NotificationsDir(sequence, topic.value_or(""))));
  std::vector<lifecycle::ParsedNotification> out;
  for (const auto& key : keys) {
    auto data = store.Get(key);
    if (!data.ok()) {
      if (data.status().IsIOError() || data.status().IsKeyError()) continue;  // purged meanwhile
      return data.status();
    }
    auto parsed = lifecycle::ParseNotification((*data)->ToString());
    if (parsed.ok()) out.push_back(std::move(*parsed));  // an unreadable one is `check`'s to report
  }
  return out;
}

}  // namespace

arrow::Result<NotificationSyncResult> SyncNotificationsOf(catalog::Catalog& catalog, store::ObjectStore& store,
                                                          const std::string& sequence,
                                                          const std::optional<std::string>& topic,
                                                          const NotificationSyncOptions& options) {
  NotificationSyncResult result;
  const std::string subject = sequence + (topic ? "/" + *topic : "");
  for (int round = 0; round < options.max_rounds; ++round) {
    auto exists = topic ? catalog.GetTopic(sequence, *topic).status() : catalog.GetSequence(sequence).status();
    if (exists.IsKeyError()) return result;  // deleted: its notifications went with it
    ARROW_RETURN_NOT_OK(exists);
    ARROW_ASSIGN_OR_RAISE(auto in_store, StoreNotifications(store, sequence, topic));
    ARROW_ASSIGN_OR_RAISE(auto in_catalog, catalog.ListNotifications(sequence, topic));
    auto diff = internal::DiffNotifications(in_catalog, in_store);
    if (diff.empty()) return result;
    const int64_t now = NowNs();
    int64_t youngest = 0;
    for (const auto& n : diff.store_only) youngest = std::max(youngest, n.created_at_ns);
    if (!diff.store_only.empty() && now - youngest < options.in_flight_ns) {
      // A notify may be between its store object and its catalog row on some daemon: let it finish.
      const int64_t wait_ns = std::min<int64_t>(options.in_flight_ns - (now - youngest), options.in_flight_ns);
      for (int64_t waited = 0; waited < wait_ns; waited += 50000000) {
        if (options.cancelled && options.cancelled()) return arrow::Status::Cancelled("stopping");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      continue;
    }
    if (!diff.catalog_only.empty()) {  // no per-row delete in the catalog: purge, then add the store's back
      ARROW_RETURN_NOT_OK(catalog.PurgeNotifications(sequence, topic));
      result.dropped += static_cast<int64_t>(diff.catalog_only.size());
      diff.store_only.clear();
      for (const auto& n : in_store) diff.store_only.push_back(n.record);
    } else {
      result.added += static_cast<int64_t>(diff.store_only.size());
    }
    for (auto n : diff.store_only) {
      n.sequence_name = sequence;
      n.topic_name = topic;
      ARROW_RETURN_NOT_OK(catalog.AddNotification(n).status());
    }
    spdlog::info("event=notifications_synced subject={} added={} dropped={}", subject, result.added, result.dropped);
    // one more round: a purge may have removed objects while the rows were being added
  }
  return arrow::Status::Invalid("notifications of '", subject, "' kept changing; will try again later");
}

}  // namespace mosaico::recovery
