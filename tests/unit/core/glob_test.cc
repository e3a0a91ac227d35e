#include "mosaico/core/glob.h"

#include <string>

#include <gtest/gtest.h>

namespace mosaico {
namespace {

bool M(const std::string& pattern, const std::string& text) {
  auto glob = Glob::Compile(pattern);
  EXPECT_TRUE(glob.ok()) << pattern << ": " << glob.status().ToString();
  return glob.ok() && glob->Matches(text);
}

TEST(Glob, LiteralsMatchWholeTextOnly) {
  EXPECT_TRUE(M("imu", "imu"));
  EXPECT_FALSE(M("imu", "imu2"));
  EXPECT_FALSE(M("imu", "xim"));
  EXPECT_FALSE(M("imu", ""));
  EXPECT_TRUE(M("", ""));
  EXPECT_FALSE(M("", "a"));
}

TEST(Glob, StarMatchesAnyRunIncludingEmpty) {
  EXPECT_TRUE(M("*", ""));
  EXPECT_TRUE(M("*", "anything/at/all"));
  EXPECT_TRUE(M("run_*", "run_"));
  EXPECT_TRUE(M("run_*", "run_2023"));
  EXPECT_FALSE(M("run_*", "xrun_2023"));
  EXPECT_TRUE(M("*imu", "front/imu"));
  EXPECT_FALSE(M("*imu", "front/imu/raw"));
  EXPECT_TRUE(M("a*b*c", "abc"));
  EXPECT_TRUE(M("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(M("a*b*c", "aXXcYYb"));
  EXPECT_TRUE(M("a**b", "aZZb"));   // "**" is the same as "*"
  EXPECT_TRUE(M("*a*", "banana"));
  EXPECT_FALSE(M("*x*", "banana"));
}

TEST(Glob, QuestionMarkIsExactlyOneCharacter) {
  EXPECT_TRUE(M("?", "a"));
  EXPECT_FALSE(M("?", ""));
  EXPECT_FALSE(M("?", "ab"));
  EXPECT_TRUE(M("c?m", "cam"));
  EXPECT_TRUE(M("a?*", "ab"));
  EXPECT_FALSE(M("a?*", "a"));
}

TEST(Glob, HashIsOneAsciiDigit) {
  EXPECT_TRUE(M("run_#", "run_7"));
  EXPECT_FALSE(M("run_#", "run_x"));
  EXPECT_FALSE(M("run_#", "run_12"));
  EXPECT_TRUE(M("run_##", "run_12"));
  EXPECT_FALSE(M("#", "\xd9\xa3"));  // ARABIC-INDIC DIGIT THREE is not ASCII
}

TEST(Glob, ClassesWithRangesAndSingles) {
  EXPECT_TRUE(M("[abc]", "b"));
  EXPECT_FALSE(M("[abc]", "d"));
  EXPECT_TRUE(M("cam_[a-c0-9]", "cam_7"));
  EXPECT_TRUE(M("cam_[a-c0-9]", "cam_c"));
  EXPECT_FALSE(M("cam_[a-c0-9]", "cam_d"));
  EXPECT_FALSE(M("[a-c]", "ab"));
  EXPECT_TRUE(M("[a-]", "-"));   // trailing '-' is literal
  EXPECT_TRUE(M("[-a]", "-"));   // leading '-' is literal
  EXPECT_FALSE(M("[a-]", "b"));
  EXPECT_TRUE(M("[*?#]", "*"));  // specials are literal inside a class
  EXPECT_FALSE(M("[*?#]", "x"));
  EXPECT_FALSE(M("[!a]", "b"));  // no negation: '!' is a member
  EXPECT_TRUE(M("[!a]", "!"));
}

TEST(Glob, NoEscapeCharacter) {
  EXPECT_TRUE(M("a\\*", "a\\xyz"));
  EXPECT_FALSE(M("a\\*", "a*"));
}

TEST(Glob, CharactersAreCodePoints) {
  const std::string e_acute = "\xc3\xa9";          // é, two bytes
  const std::string snowman = "\xe2\x98\x83";      // ☃, three bytes
  const std::string emoji = "\xf0\x9f\x98\x80";    // 😀, four bytes
  EXPECT_TRUE(M("caf?", "caf" + e_acute));
  EXPECT_FALSE(M("caf??", "caf" + e_acute));
  EXPECT_TRUE(M("?", snowman));
  EXPECT_TRUE(M("?", emoji));
  EXPECT_TRUE(M("x" + emoji + "*", "x" + emoji + "yz"));
  // Ranges by code point: é (U+00E9) is in [à-ÿ] (U+00E0..U+00FF), ☃ (U+2603) is not.
  EXPECT_TRUE(M("[\xc3\xa0-\xc3\xbf]", e_acute));
  EXPECT_FALSE(M("[\xc3\xa0-\xc3\xbf]", snowman));
  EXPECT_TRUE(M("[a" + snowman + "]", snowman));
}

TEST(Glob, InvalidUtf8BytesAreOneCharacterEach) {
  EXPECT_TRUE(M("?", "\xff"));
  EXPECT_TRUE(M("??", "\xc3"
                      "a"));          // truncated sequence: 0xC3 alone, then 'a'
  EXPECT_TRUE(M("??", "\xc0\xaf"));   // overlong '/' is two invalid bytes
  EXPECT_TRUE(M("???", "\xed\xa0\x80"));  // encoded surrogate: three invalid bytes
  EXPECT_TRUE(M("?", std::string("\xc3")));
  EXPECT_TRUE(M("a\xff*", "a\xff" "b"));
  EXPECT_FALSE(M("a\xfe*", "a\xff" "b"));
}

TEST(Glob, RejectsMalformedPatterns) {
  for (const char* bad : {"[", "abc[", "[a-c", "[]", "x[]y", "[z-a]"}) {
    auto glob = Glob::Compile(bad);
    ASSERT_FALSE(glob.ok()) << bad;
    EXPECT_TRUE(glob.status().IsInvalid()) << bad;
    EXPECT_NE(glob.status().message().find(bad), std::string::npos) << glob.status().message();
  }
}

TEST(Glob, HostilePatternsStayLinearish) {
  // a*a*a*...a*b against a long run of 'a': exponential for a backtracking matcher.
  std::string pattern;
  for (int i = 0; i < 200; ++i) pattern += "a*";
  pattern += "b";
  const std::string text(5000, 'a');
  EXPECT_FALSE(M(pattern, text));
  EXPECT_TRUE(M(pattern, text + "b"));
}

TEST(Glob, KeepsThePattern) {
  auto glob = Glob::Compile("a*[bc]");
  ASSERT_TRUE(glob.ok());
  EXPECT_EQ(glob->pattern(), "a*[bc]");
}

}  // namespace
}  // namespace mosaico
