// HttpListener: a small plain-HTTP/1.1 server for the daemon's monitoring endpoints (/healthz, /readyz, /metrics;
// server/monitoring.h wires them). Built on cpp-httplib (Debian libcpp-httplib-dev); knows nothing of what it serves.
//
// Contract:
//  - Bind() opens the listening socket (SO_REUSEADDR only: a second live listener on the same address is refused,
//    never load-balanced with this one) or fails with IOError naming host:port and the OS's reason, so a daemon can
//    refuse to start before it serves anything. Port 0 binds any free port; port() says which.
//  - Start() serves on background threads (a pool of kThreads, plus the accept loop); routes answer GET and HEAD.
//    A route handler runs on a pool thread and may block (a readiness probe waits for the catalog), so it bounds its
//    own time. A path with no route is 404; another method on a route is 405.
//  - Stop() stops accepting, lets the requests in progress finish and joins every thread; idempotent, also run by
//    the destructor. Threads inherit the caller's signal mask (the daemon blocks SIGINT/SIGTERM before).
//  - Prefix routes (the console, console/console_api.h) match every path that starts with their prefix, for one
//    method (GET also answers HEAD); the handler gets the Request (path, query parameters, headers, body; bodies
//    are capped at kMaxBodyBytes, 413 beyond) and may set extra response headers.
//  - Every request is logged at debug level (event=http_request method path status ms).
//  - Replies of compressible types (text, JSON, JavaScript) are compressed by cpp-httplib when the client accepts
//    it, with gzip only: brotli is taken out of Accept-Encoding (AcceptEncodingWithoutBrotli), because cpp-httplib
//    runs it at quality 11 (~70 ms of CPU for the console's 51 KB plotting library, per request, against ~2 ms for
//    gzip). Sockets are TCP_NODELAY (a small body written after its header would wait ~40 ms for a delayed ACK).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <arrow/result.h>
#include <arrow/status.h>

namespace httplib {
class Server;
}

namespace mosaico::http {

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};
using Handler = std::function<Response()>;

struct Request {
  std::string method;
  std::string path;
  std::multimap<std::string, std::string> params;   // decoded query parameters
  std::multimap<std::string, std::string> headers;  // as cpp-httplib keeps them (case-insensitive lookup below)
  std::string body;

  // The first value of a query parameter / header, or `fallback`.
  std::string Param(const std::string& name, const std::string& fallback = "") const;
  std::string Header(const std::string& name) const;  // case-insensitive; "" when absent
};
using RequestHandler = std::function<Response(const Request&)>;

// An Accept-Encoding value with its "br" codings removed (other codings and their parameters kept, in order);
// "identity" when nothing is left.
std::string AcceptEncodingWithoutBrotli(const std::string& accept_encoding);

struct PrefixRoute {
  std::string method;  // "GET", "POST", "DELETE"
  std::string prefix;  // e.g. "/api/"
  RequestHandler handler;
};

class HttpListener {
 public:
  // A browser keeps up to 6 keep-alive connections per host, and an idle one holds a pool thread until the
  // keep-alive timeout: with 4 threads the console's page load waited up to 1 s for them (bench/console_bench.py).
  static constexpr int kThreads = 16;
  static constexpr size_t kMaxBodyBytes = 1 << 20;

  // Routes: exact path -> handler.
  static arrow::Result<std::unique_ptr<HttpListener>> Bind(const std::string& host, int port,
                                                           std::map<std::string, Handler> routes,
                                                           std::vector<PrefixRoute> prefix_routes = {});
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  void Start();
  void Stop();

 private:
  HttpListener(std::string host, std::unique_ptr<httplib::Server> server);

  std::string host_;
  int port_ = 0;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace mosaico::http
