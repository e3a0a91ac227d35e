// The striped DoPut descriptor fields and the stripe's reply (docs/PROTOCOL_NOTES.md, "Striped uploads").
#include "mosaico/server/striped_put.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace mosaico::server {
namespace {

namespace fl = arrow::flight;

arrow::Result<std::optional<PutStripes>> Parse(const std::string& cmd) {
  return ParsePutStripes(fl::FlightDescriptor::Command(cmd));
}

TEST(StripedPutTest, AbsentFieldsAreTheUnstripedUpload) {
  auto r = Parse(R"({"resource_locator":"s/t","topic_uuid":"u"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->has_value());
  auto path = ParsePutStripes(fl::FlightDescriptor::Path({"s", "t"}));
  ASSERT_TRUE(path.ok());
  EXPECT_FALSE(path->has_value());
}

TEST(StripedPutTest, BothFieldsDeclareAStripe) {
  auto r = Parse(R"({"resource_locator":"s/t","topic_uuid":"u","stripes":8,"stripe":7})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->stripes, 8);
  EXPECT_EQ((*r)->stripe, 7);
}

TEST(StripedPutTest, BadFieldsAreRefusedNamingTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"stripes":2})", "'stripe'"},
      {R"({"stripe":0})", "'stripes'"},
      {R"({"stripes":2,"stripe":2})", "'stripe'"},
      {R"({"stripes":2,"stripe":-1})", "'stripe'"},
      {R"({"stripes":0,"stripe":0})", "'stripes'"},
      {R"({"stripes":65,"stripe":0})", "'stripes'"},
      {R"({"stripes":"2","stripe":0})", "stripes"},
      {R"({"stripes":2,"stripe":0.5})", "stripe"},
  };
  for (const auto& [cmd, field] : cases) {
    auto r = Parse(cmd);
    ASSERT_FALSE(r.ok()) << cmd;
    EXPECT_TRUE(r.status().IsInvalid()) << cmd << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find(field), std::string::npos) << cmd << ": " << r.status().ToString();
  }
}

TEST(StripedPutTest, ReplyCarriesTheOutcome) {
  ingest::StripeOutcome outcome;
  outcome.waiting_for = {0, 2};
  auto j = nlohmann::json::parse(StripeReply(PutStripes{3, 1}, "01UPLOAD", outcome));
  EXPECT_EQ(j, nlohmann::json::parse(
                   R"({"stripe":1,"stripes":3,"upload_id":"01UPLOAD","committed":false,"waiting_for":[0,2]})"));
  outcome.committed = true;
  outcome.waiting_for.clear();
  j = nlohmann::json::parse(StripeReply(PutStripes{3, 2}, "01UPLOAD", outcome));
  EXPECT_TRUE(j["committed"].get<bool>());
  EXPECT_TRUE(j["waiting_for"].empty());
}

}  // namespace
}  // namespace mosaico::server
