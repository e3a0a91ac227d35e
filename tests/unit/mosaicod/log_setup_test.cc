// The JSON log format (apps/mosaicod/log_setup.h).
#include "log_setup.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/details/log_msg.h>

namespace mosaicod {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

Fields Parse(std::string_view s, std::string* rest) { return ParseLogFields(s, rest); }

TEST(LogFields, KeyValuesQuotedValuesAndFreeText) {
  std::string rest;
  EXPECT_EQ(Parse("event=listening uri=grpc://127.0.0.1:6726 catalog=sqlite:///x/c.db", &rest),
            (Fields{{"event", "listening"}, {"uri", "grpc://127.0.0.1:6726"}, {"catalog", "sqlite:///x/c.db"}}));
  EXPECT_EQ(rest, "");
  EXPECT_EQ(Parse("event=fatal status=\"IOError: no space left\" code=5", &rest),
            (Fields{{"event", "fatal"}, {"status", "IOError: no space left"}, {"code", "5"}}));
  // A quote inside a quoted value does not end it unless the next key follows.
  EXPECT_EQ(Parse("status=\"Invalid: name \"a b\" is taken\" n=1", &rest),
            (Fields{{"status", "Invalid: name \"a b\" is taken"}, {"n", "1"}}));
  EXPECT_EQ(Parse("status=\"unterminated value", &rest), (Fields{{"status", "unterminated value"}}));
  EXPECT_EQ(Parse("plain words here event=x =odd", &rest), (Fields{{"event", "x"}}));
  EXPECT_EQ(rest, "plain words here =odd");
  EXPECT_EQ(Parse("empty= next=1", &rest), (Fields{{"empty", ""}, {"next", "1"}}));
}

std::string FormatJson(spdlog::level::level_enum level, const std::string& payload) {
  spdlog::details::log_msg msg("mosaicod", level, payload);
  spdlog::memory_buf_t buf;
  JsonLogFormatter().format(msg, buf);
  return std::string(buf.data(), buf.size());
}

TEST(JsonLogFormatter, OneObjectPerLineWithTsLevelAndFields) {
  const std::string line = FormatJson(spdlog::level::warn, "event=config_unknown_variable name=MOSAICOD_X hint=\"a b\"");
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["event"], "config_unknown_variable");
  EXPECT_EQ(j["name"], "MOSAICOD_X");
  EXPECT_EQ(j["hint"], "a b");
  const std::string ts = j["ts"];
  EXPECT_EQ(ts.size(), 27u) << ts;  // 2024-05-01T12:00:00.123456Z
  EXPECT_EQ(ts.back(), 'Z');
  EXPECT_FALSE(j.contains("msg"));
}

TEST(JsonLogFormatter, ReservedAndRepeatedKeysFreeTextAndBadUtf8) {
  auto j = nlohmann::json::parse(FormatJson(spdlog::level::info, "hello event=a level=x event=b ts=1 msg=m \xff"));
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["level_"], "x");
  EXPECT_EQ(j["ts_"], "1");
  EXPECT_EQ(j["msg_"], "m");
  EXPECT_EQ(j["event"], "a");
  EXPECT_EQ(j["event_2"], "b");
  EXPECT_EQ(j["msg"], "hello \xef\xbf\xbd");  // U+FFFD for the invalid byte
  auto newline = nlohmann::json::parse(FormatJson(spdlog::level::err, "event=x detail=\"line1\nline2\""));
  EXPECT_EQ(newline["detail"], "line1\nline2");
  EXPECT_EQ(newline["level"], "error");
}

}  // namespace
}  // namespace mosaicod
