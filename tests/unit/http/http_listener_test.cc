// The monitoring HTTP listener (http/http_listener.h): routes answer GET (and HEAD), other paths 404, other
// methods 405; a port already listened on is refused with a message naming the address (no SO_REUSEPORT sharing);
// Stop is prompt and idempotent, also without Start.
#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <httplib.h>

#include "mosaico/http/http_listener.h"

namespace mosaico::http {
namespace {

std::map<std::string, Handler> Routes() {
  return {{"/healthz", [] { return Response{200, "text/plain; charset=utf-8", "ok\n"}; }},
          {"/readyz", [] { return Response{503, "text/plain; charset=utf-8", "not ready\nstore: gone\n"}; }}};
}

TEST(HttpListener, ServesRoutesAndRefusesTheRest) {
  auto bound = HttpListener::Bind("127.0.0.1", 0, Routes());
  ASSERT_TRUE(bound.ok()) << bound.status().ToString();
  auto& listener = *bound;
  ASSERT_GT(listener->port(), 0);
  listener->Start();

  httplib::Client client("127.0.0.1", listener->port());
  auto ok = client.Get("/healthz");
  ASSERT_TRUE(ok) << httplib::to_string(ok.error());
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "ok\n");
  EXPECT_EQ(ok->get_header_value("Content-Type"), "text/plain; charset=utf-8");

  auto not_ready = client.Get("/readyz");
  ASSERT_TRUE(not_ready);
  EXPECT_EQ(not_ready->status, 503);
  EXPECT_EQ(not_ready->body, "not ready\nstore: gone\n");

  auto head = client.Head("/healthz");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);

  auto missing = client.Get("/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(missing->body.find("/healthz"), std::string::npos) << missing->body;

  auto post = client.Post("/healthz", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);

  const auto started = std::chrono::steady_clock::now();
  listener->Stop();
  listener->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));  // keep-alive bounded
  auto after = httplib::Client("127.0.0.1", listener->port()).Get("/healthz");
  EXPECT_FALSE(after) << "still answering after Stop";
}

TEST(HttpListener, APortInUseIsRefusedNamingTheAddress) {
  auto first = HttpListener::Bind("127.0.0.1", 0, Routes());
  ASSERT_TRUE(first.ok());
  (*first)->Start();
  auto second = HttpListener::Bind("127.0.0.1", (*first)->port(), Routes());
  ASSERT_FALSE(second.ok()) << "a second listener shared the port";
  EXPECT_NE(second.status().message().find("127.0.0.1:" + std::to_string((*first)->port())), std::string::npos)
      << second.status().ToString();
  EXPECT_NE(second.status().message().find("in use"), std::string::npos) << second.status().ToString();
}

TEST(HttpListener, StopWithoutStartReleasesThePort) {
  int port = 0;
  {
    auto bound = HttpListener::Bind("127.0.0.1", 0, Routes());
    ASSERT_TRUE(bound.ok());
    port = (*bound)->port();
  }  // destroyed without Start
  auto again = HttpListener::Bind("127.0.0.1", port, Routes());
  EXPECT_TRUE(again.ok()) << again.status().ToString();
}

TEST(HttpListener, PrefixRoutesSeeTheRequest) {
  std::vector<PrefixRoute> prefix;
  prefix.push_back({"GET", "/api/", [](const Request& req) {
                      return Response{200, "application/json",
                                      req.path + "|" + req.Param("a") + "|" + req.Param("missing", "dflt") + "|" +
                                          req.Header("X-KEY"),
                                      {{"X-Extra", "yes"}}};
                    }});
  prefix.push_back({"POST", "/api/", [](const Request& req) {
                      return Response{201, "text/plain", req.method + ":" + req.body, {}};
                    }});
  auto bound = HttpListener::Bind("127.0.0.1", 0, Routes(), std::move(prefix));
  ASSERT_TRUE(bound.ok()) << bound.status().ToString();
  (*bound)->Start();
  httplib::Client client("127.0.0.1", (*bound)->port());
  auto got = client.Get("/api/x/y?a=1%202", httplib::Headers{{"x-key", "k"}});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->body, "/api/x/y|1 2|dflt|k");  // query decoded, header looked up case-insensitively
  EXPECT_EQ(got->get_header_value("X-Extra"), "yes");
  auto posted = client.Post("/api/do", "{\"n\":1}", "application/json");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 201);
  EXPECT_EQ(posted->body, "POST:{\"n\":1}");
  auto exact = client.Get("/healthz");  // exact routes still answer
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->body, "ok\n");
  auto other = client.Get("/apix");  // not under the prefix
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
  auto big = client.Post("/api/do", std::string(HttpListener::kMaxBodyBytes + 1, 'x'), "text/plain");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
}

TEST(HttpListener, AcceptEncodingLosesBrotliOnly) {
  EXPECT_EQ(AcceptEncodingWithoutBrotli("gzip, deflate, br"), "gzip, deflate");
  EXPECT_EQ(AcceptEncodingWithoutBrotli("br;q=1.0, gzip;q=0.8"), "gzip;q=0.8");
  EXPECT_EQ(AcceptEncodingWithoutBrotli(" BR ,zstd"), "zstd");
  EXPECT_EQ(AcceptEncodingWithoutBrotli("br"), "identity");
  EXPECT_EQ(AcceptEncodingWithoutBrotli(""), "identity");
  EXPECT_EQ(AcceptEncodingWithoutBrotli("brotli-ish, gzip"), "brotli-ish, gzip");
}

TEST(HttpListener, BrowsersGetGzipNotBrotli) {
  const std::string script(64 * 1024, 'a');
  std::vector<PrefixRoute> prefix;
  prefix.push_back({"GET", "/console/", [script](const Request&) {
                      return Response{200, "text/javascript; charset=utf-8", script, {}};
                    }});
  auto bound = HttpListener::Bind("127.0.0.1", 0, Routes(), std::move(prefix));
  ASSERT_TRUE(bound.ok()) << bound.status().ToString();
  (*bound)->Start();
  httplib::Client client("127.0.0.1", (*bound)->port());
  client.set_decompress(false);
  auto browser = client.Get("/console/app.js", httplib::Headers{{"Accept-Encoding", "gzip, deflate, br"}});
  ASSERT_TRUE(browser);
  EXPECT_EQ(browser->status, 200);
  EXPECT_EQ(browser->get_header_value("Content-Encoding"), "gzip");
  EXPECT_LT(browser->body.size(), script.size());
  auto only_br = client.Get("/console/app.js", httplib::Headers{{"Accept-Encoding", "br"}});
  ASSERT_TRUE(only_br);
  EXPECT_FALSE(only_br->has_header("Content-Encoding"));
  EXPECT_EQ(only_br->body, script);
}

}  // namespace
}  // namespace mosaico::http
