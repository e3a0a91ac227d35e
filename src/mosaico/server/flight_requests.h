// Decoding of what clients send in Flight descriptors and tickets.
//
//  - Data requests (GetFlightInfo, GetSchema): descriptor CMD with JSON
//      {"resource_locator": "<seq>" | "<seq>/<topic>", "timestamp_ns_start"?: S, "timestamp_ns_end"?: E}
//    or descriptor PATH ["<seq>"] / ["<seq>", "<topic>", ...]. Window is [S, E); S >= E is INVALID_ARGUMENT.
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

struct DataRequest {
  ResourceLocator locator;
  TimeWindow window;
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
