#include "mosaico/server/flight_requests.h"

#include <gtest/gtest.h>

namespace mosaico::server {
namespace {
namespace fl = arrow::flight;

TEST(DataDescriptor, ParsesSequenceAndTopicCommands) {
  auto seq = ParseDataDescriptor(fl::FlightDescriptor::Command(R"({"resource_locator":"run_1"})"));
  ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  EXPECT_FALSE(seq->locator.is_topic());
  EXPECT_FALSE(seq->window.is_bounded());

  auto topic = ParseDataDescriptor(fl::FlightDescriptor::Command(
      R"({"resource_locator":"run_1/front/imu","timestamp_ns_start":10,"timestamp_ns_end":20})"));
  ASSERT_TRUE(topic.ok()) << topic.status().ToString();
  EXPECT_EQ(topic->locator.topic, "front/imu");
  EXPECT_EQ(*topic->window.start_ns, 10);
  EXPECT_EQ(*topic->window.end_ns, 20);
}

TEST(DataDescriptor, StripesAreOptionalCappedAndValidated) {
  auto plain = ParseDataDescriptor(fl::FlightDescriptor::Command(R"({"resource_locator":"run_1"})"));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->stripes, 1);
  auto four = ParseDataDescriptor(fl::FlightDescriptor::Command(R"({"resource_locator":"run_1/imu","stripes":4})"));
  ASSERT_TRUE(four.ok());
  EXPECT_EQ(four->stripes, 4);
  auto many = ParseDataDescriptor(fl::FlightDescriptor::Command(R"({"resource_locator":"run_1","stripes":100000})"));
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(many->stripes, kMaxStripes);
  for (const char* bad : {R"({"resource_locator":"a","stripes":0})", R"({"resource_locator":"a","stripes":-2})",
                          R"({"resource_locator":"a","stripes":"2"})", R"({"resource_locator":"a","stripes":1.5})",
                          R"({"resource_locator":"a","stripes":true})"}) {
    auto r = ParseDataDescriptor(fl::FlightDescriptor::Command(bad));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.status().IsInvalid()) << bad;
    EXPECT_NE(r.status().message().find("stripes"), std::string::npos) << r.status().ToString();
  }
  // Never part of a ticket: a ticket is a plain (locator, window).
  DataRequest req = *four;
  EXPECT_EQ(EncodeTicket(req).find("stripes"), std::string::npos);
}

TEST(DataDescriptor, AcceptsPathDescriptors) {
  auto r = ParseDataDescriptor(fl::FlightDescriptor::Path({"run_1", "front", "imu"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->locator.ToString(), "run_1/front/imu");
}

TEST(DataDescriptor, RejectsBadInputNamingTheProblem) {
  struct Case {
    const char* cmd;
    const char* needle;
  };
  for (const Case& c : {Case{"not json", "not valid JSON"}, Case{"[1]", "JSON object"},
                        Case{"{}", "resource_locator"}, Case{R"({"resource_locator":5})", "resource_locator"},
                        Case{R"({"resource_locator":"a//b"})", "a//b"},
                        Case{R"({"resource_locator":"a","timestamp_ns_start":5,"timestamp_ns_end":5})", "window"},
                        Case{R"({"resource_locator":"a","timestamp_ns_start":"x"})", "timestamp_ns_start"}}) {
    auto r = ParseDataDescriptor(fl::FlightDescriptor::Command(c.cmd));
    ASSERT_FALSE(r.ok()) << c.cmd;
    EXPECT_TRUE(r.status().IsInvalid()) << c.cmd;
    EXPECT_NE(r.status().message().find(c.needle), std::string::npos) << c.cmd << " -> " << r.status().message();
  }
}

TEST(PutDescriptor, NeedsTopicAndUuid) {
  auto ok = ParsePutDescriptor(fl::FlightDescriptor::Command(R"({"resource_locator":"s/t","topic_uuid":"u"})"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->locator.ToString(), "s/t");
  EXPECT_EQ(ok->topic_uuid, "u");
  EXPECT_FALSE(ParsePutDescriptor(fl::FlightDescriptor::Command(R"({"resource_locator":"s"})")).ok());
  EXPECT_FALSE(ParsePutDescriptor(fl::FlightDescriptor::Command(R"({"resource_locator":"s/t"})")).ok());
  EXPECT_FALSE(ParsePutDescriptor(fl::FlightDescriptor::Path({"s", "t"})).ok());
}

TEST(Ticket, RoundTripsLocatorAndWindow) {
  DataRequest req;
  req.locator.sequence = "run_1";
  req.locator.topic = "cam/front";
  req.window.start_ns = -5;
  req.window.end_ns = 1700000000000000000LL;
  auto back = DecodeTicket(EncodeTicket(req));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->locator.ToString(), "run_1/cam/front");
  EXPECT_EQ(*back->window.start_ns, -5);
  EXPECT_EQ(*back->window.end_ns, 1700000000000000000LL);
}

TEST(Ticket, ForgedTicketsAreValidatedLikeAnyInput) {
  EXPECT_TRUE(DecodeTicket("garbage").status().IsInvalid());
  EXPECT_TRUE(DecodeTicket(R"({"resource_locator":"../etc"})").status().IsInvalid());
  EXPECT_TRUE(DecodeTicket(R"({"resource_locator":"s/t","timestamp_ns_start":9,"timestamp_ns_end":1})")
                  .status()
                  .IsInvalid());
}

}  // namespace
}  // namespace mosaico::server
