#include "mosaico/console/console_api.h"

#include <charconv>

#include <spdlog/spdlog.h>

#include "mosaico/console/assets.h"
#include "mosaico/console/catalog_view.h"
#include "mosaico/console/frame.h"
#include "mosaico/console/series.h"
#include "mosaico/core/clock.h"
#include "mosaico/core/errors.h"
#include "mosaico/core/locator.h"
#include "mosaico/ingest/schema_check.h"
#include "mosaico/query/query_engine.h"

namespace mosaico::console {
namespace {

constexpr char kJson[] = "application/json";

http::Response JsonReply(int status, const OrderedJson& body) {
  return http::Response{status, kJson, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), {}};
}

http::Response Error(int status, const std::string& message) {
  return JsonReply(status, OrderedJson{{"error", message}});
}

http::Response FromStatus(const arrow::Status& st) {
  ErrorKind kind;
  if (GetErrorKind(st, &kind)) {
    switch (kind) {
      case ErrorKind::kFailedPrecondition: return Error(409, st.message());
      case ErrorKind::kPermissionDenied: return Error(403, st.message());
      case ErrorKind::kUnauthenticated: return Error(401, st.message());
      case ErrorKind::kUnavailable: return Error(503, st.message());
      default: break;
    }
  }
  if (st.IsInvalid()) return Error(400, st.message());
  if (st.IsKeyError()) return Error(404, st.message());
  if (st.IsAlreadyExists()) return Error(409, st.message());
  spdlog::warn("event=console_error status=\"{}\"", st.ToString());
  return Error(500, st.message());
}

arrow::Result<int64_t> IntParam(const http::Request& req, const std::string& name, int64_t fallback) {
  const std::string text = req.Param(name);
  if (text.empty()) return fallback;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return arrow::Status::Invalid("parameter '", name, "': not an integer: ", text);
  }
  return v;
}

arrow::Result<std::string> Required(const http::Request& req, const std::string& name) {
  std::string v = req.Param(name);
  if (v.empty()) return arrow::Status::Invalid("parameter '", name, "' is required");
  return v;
}

std::string StripSlash(std::string topic) {
  if (!topic.empty() && topic[0] == '/') topic.erase(0, 1);
  return topic;
}

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

struct Api {
  std::shared_ptr<catalog::Catalog> catalog;
  std::shared_ptr<store::ObjectStore> store;
  std::shared_ptr<lifecycle::Lifecycle> lifecycle;
  std::shared_ptr<auth::Authenticator> authenticator;
  ConsoleOptions options;
  std::shared_ptr<query::QueryEngine> engine;
  std::unique_ptr<CatalogView> view;
  FooterCache footers;

  // Null when admitted; otherwise the refusal.
  std::optional<http::Response> Admit(const http::Request& req, auth::Permission needed) {
    if (!authenticator) return std::nullopt;
    std::string token = req.Header("mosaico-api-key-token");
    if (token.empty()) {
      const std::string bearer = req.Header("Authorization");
      if (bearer.rfind("Bearer ", 0) == 0) token = bearer.substr(7);
    }
    if (token.empty()) {
      return Error(401, "an API key is required: give it in the mosaico-api-key-token header");
    }
    auto principal = authenticator->Authenticate(token, NowNs());
    if (!principal.ok()) {
      ErrorKind kind;
      if (GetErrorKind(principal.status(), &kind) && kind == ErrorKind::kUnauthenticated) {
        spdlog::warn("event=auth_rejected via=console status=\"{}\"", principal.status().message());
        return Error(401, principal.status().message());
      }
      return FromStatus(principal.status());
    }
    if (!principal->permissions.Covers(needed)) {
      return Error(403, std::string("permission denied: this needs '") + auth::PermissionName(needed) + "'; key " +
                            principal->fingerprint + " has " + principal->permissions.ToString());
    }
    return std::nullopt;
  }

  arrow::Result<std::pair<catalog::TopicRecord, std::shared_ptr<arrow::Schema>>> TopicWithSchema(
      const http::Request& req) {
    ARROW_ASSIGN_OR_RAISE(auto seq, Required(req, "sequence"));
    ARROW_ASSIGN_OR_RAISE(auto name, Required(req, "topic"));
    ARROW_ASSIGN_OR_RAISE(auto topic, catalog->GetTopic(seq, StripSlash(name)));
    if (!topic.schema_ipc) return arrow::Status::KeyError("topic '", name, "' has no data yet");
    ARROW_ASSIGN_OR_RAISE(auto schema, ingest::DeserializeSchema(*topic.schema_ipc));
    return std::make_pair(std::move(topic), schema);
  }

  arrow::Result<http::Response> Get(const http::Request& req) {
    const std::string& path = req.path;
    if (path == "/api/sequences") {
      SequenceFilter filter{req.Param("name"), req.Param("metadata"), req.Param("tag"), req.Param("query")};
      ARROW_ASSIGN_OR_RAISE(auto limit, IntParam(req, "limit", 50));
      ARROW_ASSIGN_OR_RAISE(auto body, view->ListSequences(filter, req.Param("after"), static_cast<int>(limit)));
      return JsonReply(200, body);
    }
    if (path == "/api/sequence") {
      ARROW_ASSIGN_OR_RAISE(auto name, Required(req, "name"));
      ARROW_ASSIGN_OR_RAISE(auto body, view->Sequence(name));
      return JsonReply(200, body);
    }
    if (path == "/api/topic") {
      ARROW_ASSIGN_OR_RAISE(auto seq, Required(req, "sequence"));
      ARROW_ASSIGN_OR_RAISE(auto name, Required(req, "topic"));
      ARROW_ASSIGN_OR_RAISE(auto body, view->Topic(seq, StripSlash(name)));
      return JsonReply(200, body);
    }
    if (path == "/api/series") {
      ARROW_ASSIGN_OR_RAISE(auto ts, TopicWithSchema(req));
      ARROW_ASSIGN_OR_RAISE(auto chunks, catalog->ListChunks(ts.first.id, false));
      ARROW_ASSIGN_OR_RAISE(auto summary, catalog->SummarizeTopic(ts.first.id));
      SeriesRequest sr;
      sr.fields = SplitComma(req.Param("fields"));
      ARROW_ASSIGN_OR_RAISE(sr.start_ns, IntParam(req, "start", summary.ts_min.value_or(0)));
      ARROW_ASSIGN_OR_RAISE(sr.end_ns, IntParam(req, "end", summary.ts_max.value_or(0) + 1));
      ARROW_ASSIGN_OR_RAISE(auto width, IntParam(req, "width", 1000));
      if (width < 1 || width > 10000) return arrow::Status::Invalid("parameter 'width': 1..10000 columns");
      sr.width = static_cast<int>(width);
      ARROW_ASSIGN_OR_RAISE(sr.raw_row_limit, IntParam(req, "raw_row_limit", options.raw_row_limit));
      ARROW_ASSIGN_OR_RAISE(auto result, ReadSeries(*store, footers, *ts.second, chunks, sr));
      OrderedJson fields = OrderedJson::array();
      for (const auto& f : result.fields) {
        fields.push_back({{"field", f.field}, {"ts", f.data.ts}, {"min", f.data.min}, {"max", f.data.max},
                          {"rows", f.data.rows}});
      }
      return JsonReply(200, OrderedJson{{"source", result.source}, {"start_ns", result.start_ns},
                                        {"end_ns", result.end_ns}, {"bucket_ns", result.bucket_ns},
                                        {"rows_estimate", result.rows_estimate}, {"chunks", result.chunks},
                                        {"row_groups", result.row_groups}, {"fields", std::move(fields)}});
    }
    if (path == "/api/frame") {
      ARROW_ASSIGN_OR_RAISE(auto ts, TopicWithSchema(req));
      ARROW_ASSIGN_OR_RAISE(auto chunks, catalog->ListChunks(ts.first.id, false));
      ARROW_ASSIGN_OR_RAISE(auto t, IntParam(req, "t", 0));
      const std::string dir = req.Param("dir", "nearest");
      FrameDirection d = FrameDirection::kNearest;
      if (dir == "next") {
        d = FrameDirection::kNext;
      } else if (dir == "prev") {
        d = FrameDirection::kPrev;
      } else if (dir != "nearest") {
        return arrow::Status::Invalid("parameter 'dir': nearest, next or prev, not ", dir);
      }
      ARROW_ASSIGN_OR_RAISE(auto frame, FindFrame(store, ts.second, chunks, t, d));
      http::Response r{200, "application/octet-stream", std::move(frame.data), {}};
      r.headers.emplace_back("X-Mosaico-Frame", frame.Meta().dump());
      r.headers.emplace_back("Cache-Control", "no-store");
      return r;
    }
    return arrow::Status::KeyError("no such console API: ", path);
  }

  arrow::Result<http::Response> Post(const http::Request& req) {
    ARROW_ASSIGN_OR_RAISE(auto body, ParseJsonObject(req.body, "request body"));
    if (req.path == "/api/delete_sequence") {
      ARROW_ASSIGN_OR_RAISE(auto name, RequireString(body, "name"));
      ARROW_RETURN_NOT_OK(lifecycle->DeleteSequence(name));
      spdlog::info("event=console_delete sequence={}", name);
      return JsonReply(200, OrderedJson{{"deleted", name}});
    }
    if (req.path == "/api/delete_session") {
      ARROW_ASSIGN_OR_RAISE(auto text, RequireString(body, "locator"));
      ARROW_ASSIGN_OR_RAISE(auto locator, ParseSessionLocator(text));
      ARROW_RETURN_NOT_OK(lifecycle->DeleteSession(locator));
      spdlog::info("event=console_delete session={}", text);
      return JsonReply(200, OrderedJson{{"deleted", text}});
    }
    if (req.path == "/api/purge_notifications") {
      ARROW_ASSIGN_OR_RAISE(auto seq, RequireString(body, "sequence"));
      ARROW_ASSIGN_OR_RAISE(auto topic, OptionalString(body, "topic"));
      if (topic) topic = StripSlash(*topic);
      ARROW_RETURN_NOT_OK(lifecycle->PurgeNotifications(seq, topic));
      return JsonReply(200, OrderedJson{{"purged", seq}});
    }
    return arrow::Status::KeyError("no such console API: POST ", req.path);
  }
};

http::Response ServeAsset(const http::Request& req) {
  std::string path = req.path.substr(std::string("/console").size());
  if (path.empty()) return http::Response{301, "text/plain", "", {{"Location", "/console/"}}};
  path.erase(0, 1);
  if (path.empty()) path = "index.html";
  const Asset* asset = FindAsset(path);
  if (!asset) return http::Response{404, "text/plain; charset=utf-8", "no such console file: " + path + "\n", {}};
  return http::Response{200, std::string(asset->content_type), std::string(asset->bytes), {}};
}

}  // namespace

std::vector<http::PrefixRoute> ConsoleRoutes(std::shared_ptr<catalog::Catalog> catalog,
                                             std::shared_ptr<store::ObjectStore> store,
                                             std::shared_ptr<lifecycle::Lifecycle> lifecycle,
                                             std::shared_ptr<auth::Authenticator> authenticator,
                                             ConsoleOptions options) {
  auto api = std::make_shared<Api>();
  api->catalog = catalog;
  api->store = store;
  api->lifecycle = std::move(lifecycle);
  api->authenticator = std::move(authenticator);
  api->options = std::move(options);
  api->engine = std::make_shared<query::QueryEngine>(catalog, store);
  api->view = std::make_unique<CatalogView>(catalog, api->engine);

  std::vector<http::PrefixRoute> routes;
  routes.push_back({"GET", "/console", ServeAsset});
  routes.push_back({"GET", "/api/", [api](const http::Request& req) {
                      if (req.path == "/api/info") {
                        return JsonReply(200, OrderedJson{{"flight_host", api->options.flight_host},
                                                          {"flight_port", api->options.flight_port},
                                                          {"tls", api->options.flight_tls},
                                                          {"auth", api->authenticator != nullptr}});
                      }
                      if (auto refused = api->Admit(req, auth::Permission::kRead)) return *refused;
                      auto r = api->Get(req);
                      return r.ok() ? *r : FromStatus(r.status());
                    }});
  routes.push_back({"POST", "/api/", [api](const http::Request& req) {
                      if (req.Header("X-Mosaico-Console") != "1") {
                        return Error(403, "console POSTs need the header X-Mosaico-Console: 1");
                      }
                      if (auto refused = api->Admit(req, auth::Permission::kDelete)) return *refused;
                      auto r = api->Post(req);
                      return r.ok() ? *r : FromStatus(r.status());
                    }});
  return routes;
}

}  // namespace mosaico::console
