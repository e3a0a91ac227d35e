// Token format, generation and fingerprint (auth/token.h).
#include <set>

#include <gtest/gtest.h>

#include "mosaico/auth/token.h"
#include "mosaico/core/errors.h"

namespace mosaico::auth {
namespace {

bool IsUnauthenticated(const arrow::Status& st) {
  ErrorKind kind;
  return GetErrorKind(st, &kind) && kind == ErrorKind::kUnauthenticated;
}

TEST(TokenTest, FingerprintIsCrc32OfPayloadAsInTheSdkExample) {
  // The example token of the SDK's MosaicoClient docstring.
  EXPECT_EQ(FingerprintOf("s3l8gcdwuadege3pkhou0k0n2t5omfij"), "f9010b9e");
  auto parsed = ParseToken("msco_s3l8gcdwuadege3pkhou0k0n2t5omfij_f9010b9e");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->payload, "s3l8gcdwuadege3pkhou0k0n2t5omfij");
  EXPECT_EQ(parsed->fingerprint, "f9010b9e");
}

TEST(TokenTest, GeneratedTokensHaveTheFormatAndDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto token = GenerateToken();
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    const std::string text = token->text();
    ASSERT_EQ(text.size(), kTokenChars);
    EXPECT_EQ(text.substr(0, 5), "msco_");
    for (char c : token->payload) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) << text;
    EXPECT_TRUE(IsFingerprint(token->fingerprint));
    auto parsed = ParseToken(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(parsed->fingerprint, token->fingerprint);
    seen.insert(text);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(TokenTest, GeneratedPayloadsUseTheWholeAlphabet) {
  std::set<char> chars;
  for (int i = 0; i < 100; ++i) {
    auto token = GenerateToken();
    ASSERT_TRUE(token.ok());
    chars.insert(token->payload.begin(), token->payload.end());
  }
  EXPECT_EQ(chars.size(), 36u);  // 3200 draws from 36 symbols: every one shows up unless the generator is broken
}

TEST(TokenTest, MalformedTokensAreUnauthenticatedWithoutEchoingThem) {
  const std::string good = "msco_s3l8gcdwuadege3pkhou0k0n2t5omfij_f9010b9e";
  const std::vector<std::string> bad = {
      "",
      "s3l8gcdwuadege3pkhou0k0n2t5omfij_f9010b9e",
      "MSCO_s3l8gcdwuadege3pkhou0k0n2t5omfij_f9010b9e",
      "msco_s3l8gcdwuadege3pkhou0k0n2t5omfi_f9010b9e",     // payload too short
      "msco_s3l8gcdwuadege3pkhou0k0n2t5omfijj_f9010b9e",   // too long
      "msco_S3l8gcdwuadege3pkhou0k0n2t5omfij_f9010b9e",    // uppercase payload
      "msco_s3l8gcdwuadege3pkhou0k0n2t5omfij_F9010B9E",    // uppercase fingerprint
      "msco_s3l8gcdwuadege3pkhou0k0n2t5omfij-f9010b9e",    // wrong separator
      "msco_s3l8gcdwuadege3pkhou0k0n2t5omfij_f9010b9f",    // fingerprint does not match
      "msco_t3l8gcdwuadege3pkhou0k0n2t5omfij_f9010b9e",    // payload typo
      good + " ",
  };
  for (const auto& text : bad) {
    auto parsed = ParseToken(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_TRUE(IsUnauthenticated(parsed.status())) << parsed.status().ToString();
    if (text.size() > 10) {
      EXPECT_EQ(parsed.status().message().find(text.substr(5, 20)), std::string::npos) << parsed.status().ToString();
    }
  }
  EXPECT_TRUE(ParseToken(good).ok());
}

TEST(TokenTest, FingerprintSyntax) {
  EXPECT_TRUE(IsFingerprint("0123abcd"));
  EXPECT_FALSE(IsFingerprint("0123abc"));
  EXPECT_FALSE(IsFingerprint("0123abcde"));
  EXPECT_FALSE(IsFingerprint("0123ABCD"));
  EXPECT_FALSE(IsFingerprint("0123abcg"));
  EXPECT_TRUE(CheckFingerprint("0123abcd", "f").ok());
  auto st = CheckFingerprint("nope", "api_key_fingerprint");
  EXPECT_TRUE(st.IsInvalid());
  EXPECT_NE(st.message().find("api_key_fingerprint"), std::string::npos);
}

}  // namespace
}  // namespace mosaico::auth
