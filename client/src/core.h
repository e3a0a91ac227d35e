// ClientCore (internal): the Flight connection shared by a Client and everything it hands out (writers, readers);
// JSON actions, call options (API key header, deadline), and the translation of Flight errors into Statuses that
// name the call and keep the server's message.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/flight/client.h>
#include <arrow/result.h>
#include <arrow/status.h>
#include <nlohmann/json.hpp>

#include "mosaico/client/client.h"
#include "mosaico/client/types.h"

namespace mosaico::client {

class ClientCore {
 public:
  static arrow::Result<std::shared_ptr<ClientCore>> Open(ConnectOptions options);

  arrow::flight::FlightClient& flight() { return *flight_; }
  /// A further connection to the same server with the same options (a stripe of a striped upload).
  arrow::Result<std::unique_ptr<arrow::flight::FlightClient>> Reconnect() const;
  arrow::flight::FlightCallOptions CallOptions() const;
  const ConnectOptions& options() const { return options_; }
  const ServerInfo& server_info() const { return info_; }

  /// DoAction `name` with `body`; every reply's `response` (the envelope checked).
  arrow::Result<std::vector<nlohmann::json>> ActionAll(const std::string& name, const nlohmann::json& body);
  /// The first reply's `response` (null when there is none).
  arrow::Result<nlohmann::json> Action(const std::string& name, const nlohmann::json& body);

  arrow::Result<std::unique_ptr<arrow::flight::FlightInfo>> GetFlightInfo(const nlohmann::json& cmd);

 private:
  ConnectOptions options_;
  std::unique_ptr<arrow::flight::FlightClient> flight_;
  ServerInfo info_;
};

/// `status` with "<what>: " before its message, the server's "gRPC returned ... with message:" preamble dropped,
/// and its code and detail kept (ErrorKindOf still works).
arrow::Status Annotate(const arrow::Status& status, const std::string& what);

/// JSON parse of a reply body, InvalidArgument naming `what` when it is not JSON.
arrow::Result<nlohmann::json> ParseJson(const std::string& text, const std::string& what);

}  // namespace mosaico::client
