// JSON manifests written to the store for every catalog record, so the catalog can be rebuilt from the store.
// Object keys come from store/layout.h; this file only knows the JSON shape (documented in docs/STORE_LAYOUT.md).
// Every manifest carries "version": 1.
#pragma once

#include <string>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"

namespace mosaico::lifecycle {

std::string SequenceManifestJson(const catalog::SequenceRecord& seq);
std::string SessionManifestJson(const catalog::SessionRecord& session);
std::string SessionFinalizedJson(int64_t completed_at_ns);
std::string TopicManifestJson(const catalog::TopicRecord& topic);
std::string NotificationJson(const catalog::NotificationRecord& n, const std::string& id);

}  // namespace mosaico::lifecycle
