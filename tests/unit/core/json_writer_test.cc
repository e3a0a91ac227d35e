// json_writer: the bytes must be those of nlohmann's compact dump (replace handler) of the same value, for every
// string, including control characters, quotes, non-ASCII and invalid UTF-8.
#include "mosaico/core/json_writer.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace mosaico {
namespace {

std::string Dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

std::string Written(std::string_view s) {
  std::string out = "x";  // appends: what was there stays
  AppendJsonString(&out, s);
  return out.substr(1);
}

TEST(JsonWriterTest, StringsAreTheBytesNlohmannDumps) {
  for (const std::string s : {std::string(""), std::string("run_000123/imu"), std::string("a\"b\\c/d"),
                              std::string("\b\f\n\r\t\x01\x1f\x7f"), std::string("\0z", 2), std::string("caf\xc3\xa9"),
                              std::string("bad \xff\xfe utf8"), std::string("cut \xe2\x82"), std::string("\xf0\x9f\x98\x80")}) {
    EXPECT_EQ(Written(s), Dump(s)) << s;
  }
}

TEST(JsonWriterTest, RandomStringsAreTheBytesNlohmannDumps) {
  // A palette that reaches every branch: plain ASCII, escapes, 0x7f, valid multi-byte UTF-8 and stray bytes.
  const std::vector<std::string> palette = {"a", "Z", "/", "_", "\"", "\\", "\n", "\x01", "\x1f", "\x7f", " ",
                                            "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\x80", "\xc3", "\xff"};
  std::mt19937 rnd(12);
  for (int i = 0; i < 5000; ++i) {
    std::string a, b;
    const bool ascii_only = i % 2 == 0;  // half the cases take the writer's own path, half nlohmann's
    for (int k = rnd() % 12; k > 0; --k) a += palette[rnd() % (ascii_only ? 11 : palette.size())];
    for (int k = rnd() % 12; k > 0; --k) b += palette[rnd() % (ascii_only ? 11 : palette.size())];
    ASSERT_EQ(Written(a), Dump(a)) << i;
    std::string joined = "y";
    AppendJsonString(&joined, a, "/", b);
    ASSERT_EQ(joined.substr(1), Dump(a + "/" + b)) << i;
  }
}

TEST(JsonWriterTest, IntegersAreTheBytesNlohmannDumps) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1700000000123456789}, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    std::string out;
    AppendJsonInt(&out, v);
    EXPECT_EQ(out, Dump(v));
  }
}

}  // namespace
}  // namespace mosaico
