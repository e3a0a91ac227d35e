// Salted hash and constant-time verification (auth/key_hash.h).
#include <gtest/gtest.h>

#include "mosaico/auth/key_hash.h"

namespace mosaico::auth {
namespace {

const char kToken[] = "msco_s3l8gcdwuadege3pkhou0k0n2t5omfij_f9010b9e";

TEST(KeyHashTest, SaltsAreFreshHex) {
  auto a = GenerateSalt();
  auto b = GenerateSalt();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 32u);
  EXPECT_NE(*a, *b);
  for (char c : *a) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
}

TEST(KeyHashTest, HashIsHmacSha256OfTheTokenKeyedWithTheSalt) {
  // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
  auto h = HashToken("what do ya want for nothing?", "4a656665");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(*h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(KeyHashTest, SameTokenDifferentSaltsGiveDifferentHashes) {
  auto s1 = GenerateSalt(), s2 = GenerateSalt();
  ASSERT_TRUE(s1.ok() && s2.ok());
  auto h1 = HashToken(kToken, *s1), h1_again = HashToken(kToken, *s1), h2 = HashToken(kToken, *s2);
  ASSERT_TRUE(h1.ok() && h1_again.ok() && h2.ok());
  EXPECT_EQ(*h1, *h1_again);
  EXPECT_NE(*h1, *h2);
  EXPECT_EQ(h1->size(), 64u);
  EXPECT_EQ(h1->find("s3l8"), std::string::npos);
}

TEST(KeyHashTest, VerifyAcceptsOnlyTheToken) {
  auto salt = GenerateSalt();
  ASSERT_TRUE(salt.ok());
  auto hash = HashToken(kToken, *salt);
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(VerifyToken(kToken, *salt, *hash));
  std::string other = kToken;
  other[10] = other[10] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(VerifyToken(other, *salt, *hash));
  EXPECT_FALSE(VerifyToken(std::string(kToken) + "x", *salt, *hash));
  EXPECT_FALSE(VerifyToken("", *salt, *hash));
  // Another salt, a truncated or non-hex hash, a non-hex salt: never verified, never an error.
  auto salt2 = GenerateSalt();
  ASSERT_TRUE(salt2.ok());
  EXPECT_FALSE(VerifyToken(kToken, *salt2, *hash));
  EXPECT_FALSE(VerifyToken(kToken, *salt, hash->substr(0, 62)));
  EXPECT_FALSE(VerifyToken(kToken, *salt, std::string(64, 'z')));
  EXPECT_FALSE(VerifyToken(kToken, "xyz", *hash));
  EXPECT_FALSE(VerifyToken(kToken, "", *hash));
  EXPECT_FALSE(HashToken(kToken, "not hex").ok());
}

}  // namespace
}  // namespace mosaico::auth
