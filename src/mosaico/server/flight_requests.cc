#include "mosaico/server/flight_requests.h"

#include <algorithm>

#include "mosaico/core/errors.h"
#include "mosaico/core/json.h"

namespace mosaico::server {
namespace {

arrow::Result<DataRequest> ParseDataJson(const Json& cmd) {
  DataRequest req;
  ARROW_ASSIGN_OR_RAISE(auto locator, RequireString(cmd, "resource_locator"));
  ARROW_ASSIGN_OR_RAISE(req.locator, ParseResourceLocator(locator, "resource_locator"));
  ARROW_ASSIGN_OR_RAISE(req.window.start_ns, OptionalInt64(cmd, "timestamp_ns_start"));
  ARROW_ASSIGN_OR_RAISE(req.window.end_ns, OptionalInt64(cmd, "timestamp_ns_end"));
  ARROW_RETURN_NOT_OK(req.window.Validate());
  return req;
}

arrow::Status ParseStripes(const Json& cmd, DataRequest* req) {
  ARROW_ASSIGN_OR_RAISE(auto stripes, OptionalInt64(cmd, "stripes"));
  if (!stripes) return arrow::Status::OK();
  if (*stripes < 1) return InvalidArgument("field 'stripes' must be an integer >= 1, not " + std::to_string(*stripes));
  req->stripes = static_cast<int>(std::min<int64_t>(*stripes, kMaxStripes));
  return arrow::Status::OK();
}

}  // namespace

arrow::Result<DataRequest> ParseDataDescriptor(const arrow::flight::FlightDescriptor& descriptor) {
  if (descriptor.type == arrow::flight::FlightDescriptor::PATH) {
    if (descriptor.path.empty()) return InvalidArgument("descriptor path is empty");
    std::string joined;
    for (const auto& part : descriptor.path) joined += (joined.empty() ? "" : "/") + part;
    DataRequest req;
    ARROW_ASSIGN_OR_RAISE(req.locator, ParseResourceLocator(joined, "descriptor path"));
    return req;
  }
  if (descriptor.type != arrow::flight::FlightDescriptor::CMD) {
    return InvalidArgument("unsupported descriptor type");
  }
  ARROW_ASSIGN_OR_RAISE(auto cmd, ParseJsonObject(descriptor.cmd, "descriptor command"));
  ARROW_ASSIGN_OR_RAISE(auto req, ParseDataJson(cmd));
  ARROW_RETURN_NOT_OK(ParseStripes(cmd, &req));
  return req;
}

arrow::Result<PutRequest> ParsePutDescriptor(const arrow::flight::FlightDescriptor& descriptor) {
  if (descriptor.type != arrow::flight::FlightDescriptor::CMD) {
    return InvalidArgument("DoPut needs a CMD descriptor {\"resource_locator\", \"topic_uuid\"}");
  }
  ARROW_ASSIGN_OR_RAISE(auto cmd, ParseJsonObject(descriptor.cmd, "DoPut descriptor command"));
  PutRequest req;
  ARROW_ASSIGN_OR_RAISE(auto locator, RequireString(cmd, "resource_locator"));
  ARROW_ASSIGN_OR_RAISE(req.locator, ParseTopicLocator(locator, "resource_locator"));
  ARROW_ASSIGN_OR_RAISE(req.topic_uuid, RequireString(cmd, "topic_uuid"));
  return req;
}

std::string EncodeTicket(const DataRequest& request) {
  OrderedJson j;
  j["v"] = 1;
  j["resource_locator"] = request.locator.ToString();
  if (request.window.start_ns) j["timestamp_ns_start"] = *request.window.start_ns;
  if (request.window.end_ns) j["timestamp_ns_end"] = *request.window.end_ns;
  return j.dump();
}

arrow::Result<DataRequest> DecodeTicket(const std::string& ticket) {
  auto cmd = ParseJsonObject(ticket, "ticket");
  if (!cmd.ok()) return InvalidArgument("malformed ticket: not one issued by this server");
  return ParseDataJson(*cmd);
}

}  // namespace mosaico::server
