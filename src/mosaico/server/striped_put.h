// The DoPut of one stripe of a striped upload (docs/PROTOCOL_NOTES.md, "Striped uploads"; ingest/striped_upload.h).
//
//  - ParsePutStripes reads "stripes" and "stripe" from the DoPut descriptor's JSON: nullopt when both are absent
//    (the unstriped upload); one without the other is INVALID_ARGUMENT naming the missing field; values are
//    checked by StripeLedger::ValidateFields (INVALID_ARGUMENT naming the field).
//  - DoStripedPut: reads the stream's schema, joins the topic's striped upload in progress on this daemon or opens
//    one (Lifecycle::AdmitUpload's checks -- a topic whose upload already committed is FAILED_PRECONDITION naming
//    'stripe' -- then StripedUpload::Begin, which keeps the topic's open-stream slot until the upload ended), checks
//    the write token against the upload's topic, opens the stripe, writes every batch of the stream into it and
//    closes it. On success the stream's one PutResult carries StripeReply's JSON. Any error after the stripe
//    opened aborts the whole upload (StripedUpload).
#pragma once

#include <optional>
#include <string>

#include <arrow/flight/server.h>
#include <arrow/result.h>

#include "mosaico/ingest/striped_upload.h"
#include "mosaico/ingest/striped_uploads.h"
#include "mosaico/lifecycle/lifecycle.h"
#include "mosaico/server/flight_requests.h"
#include "mosaico/server/server_config.h"

namespace mosaico::server {

struct PutStripes {
  int stripes = 1;
  int stripe = 0;
};

arrow::Result<std::optional<PutStripes>> ParsePutStripes(const arrow::flight::FlightDescriptor& descriptor);

// {"stripe": i, "stripes": N, "upload_id": "...", "committed": bool, "waiting_for": [...]}
std::string StripeReply(const PutStripes& stripes, const std::string& upload_id, const ingest::StripeOutcome& outcome);

struct StripedPutDeps {
  lifecycle::Lifecycle* lifecycle = nullptr;
  ingest::StripedUploads* uploads = nullptr;
  const ServerConfig* config = nullptr;
  ingest::ChunkWriterOptions options;  // the stream's (put_stream.h UploadWriterOptions)
};

arrow::Status DoStripedPut(const arrow::flight::ServerCallContext& context,
                           arrow::flight::FlightMessageReader* reader, arrow::flight::FlightMetadataWriter* writer,
                           const PutRequest& request, const PutStripes& stripes, const StripedPutDeps& deps,
                           const std::string& target);

}  // namespace mosaico::server
