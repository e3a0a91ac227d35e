// Decoding of what clients send in Flight descriptors and tickets.
//
//  - Data requests (GetFlightInfo, GetSchema): descriptor CMD with JSON
//      {"resource_locator": "<seq>" | "<seq>/<topic>", "timestamp_ns_start"?: S, "timestamp_ns_end"?: E,
//       "stripes"?: N}
//    or descriptor PATH ["<seq>"] / ["<seq>", "<topic>", ...]. Window is [S, E); S >= E is INVALID_ARGUMENT.
//    "stripes" (GetFlightInfo only): up to N endpoints per topic (read/topic_stripes.h); an integer >= 1, values
//    above kMaxStripes are capped to it; absent = 1 (one endpoint per topic, as the SDK expects).
//  - Upload requests (DoPut): descriptor CMD {"resource_locator": "<seq>/<topic>", "topic_uuid": "<uuid>"}.
//  - Tickets (DoGet) are opaque to clients; ours are JSON {"v":1,"resource_locator","timestamp_ns_start"?,
//    "timestamp_ns_end"?} produced by EncodeTicket and validated again on decode (a ticket is client input).
#pragma once

#include <string>

#include <arrow/flight/types.h>
#include <arrow/result.h>

#include "mosaico/core/locator.h"
#include "mosaico/core/time_window.h"

namespace mosaico::server {

inline constexpr int kMaxStripes = 64;

struct DataRequest {
  ResourceLocator locator;
  TimeWindow window;
  int stripes = 1;  // descriptor "stripes", capped to kMaxStripes; never part of a ticket
};

struct PutRequest {
  TopicLocator locator;
  std::string topic_uuid;
};

arrow::Result<DataRequest> ParseDataDescriptor(const arrow::flight::FlightDescriptor& descriptor);
arrow::Result<PutRequest> ParsePutDescriptor(const arrow::flight::FlightDescriptor& descriptor);

std::string EncodeTicket(const DataRequest& request);
arrow::Result<DataRequest> DecodeTicket(const std::string& ticket);

}  // namespace mosaico::server
