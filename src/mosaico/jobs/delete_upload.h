// The handler of job kind "delete_upload" (kind, payload and dedup key: jobs/compaction.h): removes one upload
// directory that has been replaced, typically the small chunks a compaction rewrote, enqueued with a delay so that
// reads already streaming the old chunks can finish.
//
// Payload {"sequence","topic","upload_id"}; each is validated (a locator segment, a topic path, an upload id that
// names an upload directory of the layout), so a payload can never point outside that topic's uploads.
// Contract: deletes every object under store::layout::UploadDir unless the catalog's topic still references that
// upload, in which case nothing is deleted and the job succeeds (logged: the data is live). Idempotent: a missing
// directory is fine. Errors: INVALID_ARGUMENT for a bad payload (retrying cannot help), catalog or store failures.
#pragma once

#include <arrow/status.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/store/object_store.h"

namespace mosaico::jobs {

arrow::Status RunDeleteUploadJob(const catalog::JobRecord& job, catalog::Catalog& catalog, store::ObjectStore& store);

}  // namespace mosaico::jobs
