#include "mosaico/http/http_listener.h"

#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <algorithm>
#include <cctype>
#include <cstring>

#include <httplib.h>
#include <spdlog/spdlog.h>

namespace mosaico::http {
namespace {

// Shared with the accept thread, which may outlive a Stop() that gave up waiting for it to start.
struct ListenState {
  std::atomic<bool> returned{false};
};

std::string RegexEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::strchr(".^$|()[]{}*+?\\", c) != nullptr) out += '\\';
    out += c;
  }
  return out;
}

void Log(const httplib::Request& req, const std::string& path, int status,
         std::chrono::steady_clock::time_point started) {
  spdlog::debug("event=http_request method={} path={} status={} ms={}", req.method, path, status,
                std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
                    .count());
}

void Fill(const Response& r, httplib::Response& res) {
  res.status = r.status;
  for (const auto& [name, value] : r.headers) res.set_header(name.c_str(), value);
  res.set_content(r.body, r.content_type.c_str());
}

std::string Trimmed(const std::string& text) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

}  // namespace

std::string AcceptEncodingWithoutBrotli(const std::string& accept_encoding) {
  std::string out;
  size_t start = 0;
  while (start <= accept_encoding.size()) {
    size_t end = accept_encoding.find(',', start);
    if (end == std::string::npos) end = accept_encoding.size();
    const std::string item = Trimmed(accept_encoding.substr(start, end - start));
    std::string coding = Trimmed(item.substr(0, item.find(';')));
    std::transform(coding.begin(), coding.end(), coding.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!item.empty() && coding != "br") out += (out.empty() ? "" : ", ") + item;
    start = end + 1;
  }
  return out.empty() ? "identity" : out;
}

std::string Request::Param(const std::string& name, const std::string& fallback) const {
  auto it = params.find(name);
  return it == params.end() ? fallback : it->second;
}

std::string Request::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        })) {
      return value;
    }
  }
  return "";
}

HttpListener::HttpListener(std::string host, std::unique_ptr<httplib::Server> server)
    : host_(std::move(host)), server_(std::move(server)) {}

arrow::Result<std::unique_ptr<HttpListener>> HttpListener::Bind(const std::string& host, int port,
                                                                std::map<std::string, Handler> routes,
                                                                std::vector<PrefixRoute> prefix_routes) {
  auto server = std::make_unique<httplib::Server>();
  server->new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  // cpp-httplib sets SO_REUSEPORT by default, which lets a second process bind the same port and share its
  // connections; SO_REUSEADDR alone only allows a restart while old connections linger in TIME_WAIT.
  server->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // Replies go out as a header write then a body write; with Nagle's algorithm the second waits for the client's
  // delayed ACK (~40 ms on Linux) whenever it is small, which a browser loading the console pays on every file.
  server->set_tcp_nodelay(true);
  // See the header: brotli at cpp-httplib's quality 11 costs ~35x gzip's CPU. The request object is the server's
  // own (non-const) one, handed to this hook as const; it is rewritten before any route or the compressor reads it.
  server->set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    auto& headers = const_cast<httplib::Headers&>(req.headers);
    auto [first, last] = headers.equal_range("Accept-Encoding");
    for (auto it = first; it != last; ++it) it->second = AcceptEncodingWithoutBrotli(it->second);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server->set_read_timeout(5, 0);
  server->set_write_timeout(5, 0);
  // An idle keep-alive connection holds a pool thread, and Stop() waits for it, this long.
  server->set_keep_alive_timeout(2);
  server->set_payload_max_length(kMaxBodyBytes);
  for (auto& [path, handler] : routes) {
    server->Get(path, [path = path, handler = handler](const httplib::Request& req, httplib::Response& res) {
      const auto started = std::chrono::steady_clock::now();
      Response r = handler();
      Fill(r, res);
      Log(req, path, r.status, started);
    });
    auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
      res.status = 405;
      res.set_header("Allow", "GET, HEAD");
      res.set_content("method not allowed: use GET\n", "text/plain; charset=utf-8");
    };
    server->Post(path, not_allowed);
    server->Put(path, not_allowed);
    server->Delete(path, not_allowed);
    server->Patch(path, not_allowed);
  }
  for (auto& route : prefix_routes) {
    auto serve = [handler = route.handler](const httplib::Request& req, httplib::Response& res) {
      const auto started = std::chrono::steady_clock::now();
      Request request;
      request.method = req.method;
      request.path = req.path;
      request.params.insert(req.params.begin(), req.params.end());
      request.headers.insert(req.headers.begin(), req.headers.end());
      request.body = req.body;
      Response r = handler(request);
      Fill(r, res);
      Log(req, req.path, r.status, started);
    };
    const std::string pattern = RegexEscape(route.prefix) + ".*";
    if (route.method == "GET") server->Get(pattern, serve);
    if (route.method == "POST") server->Post(pattern, serve);
    if (route.method == "DELETE") server->Delete(pattern, serve);
  }
  std::string paths;
  for (const auto& [path, handler] : routes) paths += (paths.empty() ? "" : ", ") + path;
  for (const auto& route : prefix_routes) {
    if (paths.find(route.prefix) == std::string::npos) paths += ", " + route.prefix + "...";
  }
  server->set_error_handler([paths](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404 && res.body.empty()) {
      res.set_content("not found; this listener serves " + paths + "\n", "text/plain; charset=utf-8");
    }
  });

  errno = 0;
  int bound = -1;
  if (port == 0) {
    bound = server->bind_to_any_port(host);
  } else if (server->bind_to_port(host, port)) {
    bound = port;
  }
  if (bound <= 0) {
    const int err = errno;
    return arrow::Status::IOError("cannot listen for HTTP on ", host, ":", port, ": ",
                                  err != 0 ? std::strerror(err) : "the address does not resolve");
  }
  auto listener = std::unique_ptr<HttpListener>(new HttpListener(host, std::move(server)));
  listener->port_ = bound;
  return listener;
}

HttpListener::~HttpListener() { Stop(); }

void HttpListener::Start() {
  if (started_) return;
  started_ = true;
  auto state = std::make_shared<ListenState>();
  httplib::Server* server = server_.get();
  thread_ = std::thread([server, state] {
    server->listen_after_bind();
    state->returned = true;
  });
  // Stop() must not run before the accept loop is up: cpp-httplib ignores a stop() that comes first.
  while (!server->is_running() && !state->returned) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void HttpListener::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (!started_) Start();  // closes the bound socket the only way cpp-httplib offers: run, then stop
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace mosaico::http
