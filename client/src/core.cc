#include "core.h"

#include <fstream>
#include <sstream>
#include <thread>

#include <arrow/buffer.h>
#include <arrow/flight/types.h>

#include "mosaico/client/errors.h"

namespace mosaico::client {
namespace fl = arrow::flight;

arrow::Status Annotate(const arrow::Status& status, const std::string& what) {
  if (status.ok()) return status;
  std::string msg = status.message();
  static const char* kMarker = "with message: ";
  auto pos = msg.find(kMarker);
  if (pos != std::string::npos && msg.rfind("gRPC returned", 0) == 0) msg = msg.substr(pos + strlen(kMarker));
  // Flight appends ". Detail: ..." for some codes; the message is enough.
  auto detail = msg.find(". Detail: ");
  if (detail != std::string::npos) msg = msg.substr(0, detail);
  return arrow::Status(status.code(), what + ": " + msg, status.detail());
}

arrow::Result<nlohmann::json> ParseJson(const std::string& text, const std::string& what) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return arrow::Status::Invalid(what, ": reply is not JSON: ", text.substr(0, 200));
  return j;
}

arrow::Result<std::shared_ptr<ClientCore>> ClientCore::Open(ConnectOptions options) {
  auto core = std::make_shared<ClientCore>();
  core->options_ = std::move(options);
  const auto& opt = core->options_;
  auto connected = core->Reconnect();
  if (!connected.ok()) return connected.status();
  core->flight_ = std::move(connected).ValueOrDie();

  // Like the SDK: `info` every 25 ms until it answers or the time is up; auth failures end the wait at once.
  const auto deadline = std::chrono::steady_clock::now() + opt.connect_timeout;
  arrow::Status last;
  while (true) {
    auto reply = core->Action("info", nlohmann::json::object());
    if (reply.ok() && reply->is_object()) {
      const auto& r = *reply;
      core->info_.raw = r;
      core->info_.version = r.value("version", "");
      if (r.contains("config") && r["config"].is_object()) {
        const auto& c = r["config"];
        core->info_.max_decode_message_size = c.value("grpc_max_decode_message_size", int64_t{0});
        core->info_.max_encode_message_size = c.value("grpc_max_encode_message_size", int64_t{0});
      }
      return core;
    }
    last = reply.ok() ? arrow::Status::Invalid("info: unexpected reply ", reply->dump()) : reply.status();
    const auto kind = ErrorKindOf(last);
    if (kind == ErrorKind::kUnauthenticated || kind == ErrorKind::kPermissionDenied) {
      return Annotate(last, "connect to " + opt.uri + " (API key refused)");
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return Annotate(last, "connect to " + opt.uri + ": no answer to 'info' within " +
                            std::to_string(opt.connect_timeout.count()) + " ms");
}

arrow::Result<std::unique_ptr<fl::FlightClient>> ClientCore::Reconnect() const {
  const auto& opt = options_;
  ARROW_ASSIGN_OR_RAISE(auto location, fl::Location::Parse(opt.uri));
  const std::string scheme = location.scheme();
  if (scheme != "grpc" && scheme != "grpc+tcp" && scheme != "grpc+tls") {
    return arrow::Status::Invalid("connect: URI '", opt.uri, "' must be grpc://host:port or grpc+tls://host:port");
  }
  auto fopts = fl::FlightClientOptions::Defaults();
  if (!opt.tls_ca_file.empty()) {
    if (scheme != "grpc+tls") {
      return arrow::Status::Invalid("connect: tls_ca_file given but URI '", opt.uri, "' is not grpc+tls://");
    }
    std::ifstream in(opt.tls_ca_file, std::ios::binary);
    if (!in) return arrow::Status::IOError("connect: cannot read the TLS CA file '", opt.tls_ca_file, "'");
    std::stringstream ss;
    ss << in.rdbuf();
    fopts.tls_root_certs = ss.str();
  }
  auto connected = fl::FlightClient::Connect(location, fopts);
  if (!connected.ok()) return Annotate(connected.status(), "connect to " + opt.uri);
  return std::move(connected).ValueOrDie();
}

fl::FlightCallOptions ClientCore::CallOptions() const {
  fl::FlightCallOptions o;
  if (!options_.api_key.empty()) o.headers.emplace_back("mosaico-api-key-token", options_.api_key);
  if (options_.call_timeout.count() > 0) {
    o.timeout = fl::TimeoutDuration(std::chrono::duration<double>(options_.call_timeout).count());
  }
  return o;
}

arrow::Result<std::vector<nlohmann::json>> ClientCore::ActionAll(const std::string& name,
                                                                  const nlohmann::json& body) {
  fl::Action action{name, arrow::Buffer::FromString(body.dump())};
  auto stream = flight_->DoAction(CallOptions(), action);
  if (!stream.ok()) return Annotate(stream.status(), name);
  std::vector<nlohmann::json> out;
  while (true) {
    auto next = (*stream)->Next();
    if (!next.ok()) return Annotate(next.status(), name);
    if (*next == nullptr) break;
    if ((*next)->body == nullptr || (*next)->body->size() == 0) continue;
    ARROW_ASSIGN_OR_RAISE(auto env, ParseJson((*next)->body->ToString(), name));
    if (!env.is_object() || env.value("action", "") != name) {
      return arrow::Status::Invalid(name, ": reply envelope is not {\"action\":\"", name, "\",...}: ",
                                    env.dump().substr(0, 200));
    }
    out.push_back(env.contains("response") ? env["response"] : nlohmann::json());
  }
  ARROW_RETURN_NOT_OK(Annotate((*stream)->Drain(), name));
  return out;
}

arrow::Result<nlohmann::json> ClientCore::Action(const std::string& name, const nlohmann::json& body) {
  ARROW_ASSIGN_OR_RAISE(auto all, ActionAll(name, body));
  if (all.empty()) return nlohmann::json();
  return all.front();
}

arrow::Result<std::unique_ptr<fl::FlightInfo>> ClientCore::GetFlightInfo(const nlohmann::json& cmd) {
  auto info = flight_->GetFlightInfo(CallOptions(), fl::FlightDescriptor::Command(cmd.dump()));
  if (!info.ok()) {
    return Annotate(info.status(), "GetFlightInfo '" + cmd.value("resource_locator", std::string()) + "'");
  }
  return std::move(info).ValueOrDie();
}

// -- errors.h ----------------------------------------------------------------------------------------------------
ErrorKind ErrorKindOf(const arrow::Status& status) {
  if (status.ok()) return ErrorKind::kOk;
  if (auto detail = fl::FlightStatusDetail::UnwrapStatus(status)) {
    switch (detail->code()) {
      case fl::FlightStatusCode::Unauthenticated: return ErrorKind::kUnauthenticated;
      case fl::FlightStatusCode::Unauthorized: return ErrorKind::kPermissionDenied;
      case fl::FlightStatusCode::Unavailable:
      case fl::FlightStatusCode::TimedOut: return ErrorKind::kUnavailable;
      default: break;
    }
  }
  if (status.IsKeyError()) return ErrorKind::kNotFound;
  if (status.IsAlreadyExists()) return ErrorKind::kAlreadyExists;
  if (status.IsInvalid() || status.IsTypeError()) return ErrorKind::kInvalidArgument;
  if (status.IsIOError() && status.message().find("Connection refused") != std::string::npos) {
    return ErrorKind::kUnavailable;
  }
  return ErrorKind::kOther;
}

const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kOk: return "ok";
    case ErrorKind::kNotFound: return "not_found";
    case ErrorKind::kAlreadyExists: return "already_exists";
    case ErrorKind::kInvalidArgument: return "invalid_argument";
    case ErrorKind::kPermissionDenied: return "permission_denied";
    case ErrorKind::kUnauthenticated: return "unauthenticated";
    case ErrorKind::kUnavailable: return "unavailable";
    case ErrorKind::kOther: return "other";
  }
  return "other";
}

}  // namespace mosaico::client
