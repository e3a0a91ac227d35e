// API-key permission flags (auth/permission.h) and the --auth mode decision (auth/auth_mode.h).
#include <gtest/gtest.h>

#include "mosaico/auth/auth_mode.h"
#include "mosaico/auth/permission.h"

namespace mosaico::auth {
namespace {

TEST(PermissionTest, FlagsAreIndependent) {
  const Permissions write = Permission::kWrite;
  EXPECT_TRUE(write.Has(Permission::kWrite));
  EXPECT_FALSE(write.Has(Permission::kRead));
  EXPECT_FALSE(write.Has(Permission::kDelete));
  EXPECT_FALSE(Permissions(Permission::kDelete).Covers(Permission::kRead));
  EXPECT_FALSE(Permissions(Permission::kDelete).Covers(Permission::kWrite));
  EXPECT_TRUE((Permission::kRead | Permission::kWrite).Covers(Permission::kRead));
  EXPECT_FALSE((Permission::kRead | Permission::kWrite).Covers(Permission::kRead | Permission::kDelete));
  EXPECT_TRUE(Permissions(Permission::kRead).Covers(Permissions()));  // the empty set: any key
  EXPECT_EQ((Permission::kRead | Permission::kWrite).bits(), 3);
  EXPECT_EQ(Permissions::All().bits(), 7);
  EXPECT_EQ(Permissions::FromBits(0xff).bits(), 7);
}

TEST(PermissionTest, TextFormRoundTripsEveryCombination) {
  for (uint8_t bits = 1; bits <= 7; ++bits) {
    const Permissions p = Permissions::FromBits(bits);
    auto back = ParsePermissions(p.ToString(), "permissions");
    ASSERT_TRUE(back.ok()) << p.ToString() << ": " << back.status().ToString();
    EXPECT_EQ(*back, p);
  }
  EXPECT_EQ(Permissions::All().ToString(), "read|write|delete");
  EXPECT_EQ((Permission::kDelete | Permission::kRead).ToString(), "read|delete");
  EXPECT_EQ(Permissions().ToString(), "none");
  auto any_order = ParsePermissions(" write | read |write", "p");
  ASSERT_TRUE(any_order.ok());
  EXPECT_EQ(*any_order, Permission::kRead | Permission::kWrite);
}

TEST(PermissionTest, ParseRefusesEmptyUnknownAndManage) {
  for (const char* bad : {"", "|", "read|", "Read", "admin", "read|admin", "read,write"}) {
    auto p = ParsePermissions(bad, "--permissions");
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_TRUE(p.status().IsInvalid()) << bad;
    EXPECT_NE(p.status().message().find("--permissions"), std::string::npos) << p.status().message();
  }
  auto manage = ParsePermissions("manage", "--permissions");
  ASSERT_FALSE(manage.ok());
  EXPECT_NE(manage.status().message().find("no longer exists"), std::string::npos) << manage.status().message();
}

TEST(PermissionTest, LadderNamesMapToTheFlagsTheyGranted) {
  EXPECT_EQ(FromLadder("read"), std::optional<Permissions>(Permission::kRead));
  EXPECT_EQ(FromLadder("write"), std::optional<Permissions>(Permission::kRead | Permission::kWrite));
  EXPECT_EQ(FromLadder("delete"), std::optional<Permissions>(Permissions::All()));
  EXPECT_EQ(FromLadder("manage"), std::optional<Permissions>(Permissions::All()));
  EXPECT_FALSE(FromLadder("read|write").has_value());
}

TEST(AuthModeTest, LoopbackHosts) {
  for (const char* h : {"127.0.0.1", "127.1.2.3", "localhost", "::1"}) EXPECT_TRUE(IsLoopbackHost(h)) << h;
  for (const char* h : {"0.0.0.0", "10.0.0.1", "::", "127.0.0.1.5", "127.0.0", "128.0.0.1", "example.com", ""}) {
    EXPECT_FALSE(IsLoopbackHost(h)) << h;
  }
}

TEST(AuthModeTest, AutoIsOnExceptOnLoopback) {
  EXPECT_FALSE(DecideAuth(AuthMode::kAuto, "127.0.0.1").enabled);
  EXPECT_TRUE(DecideAuth(AuthMode::kAuto, "0.0.0.0").enabled);
  EXPECT_TRUE(DecideAuth(AuthMode::kOn, "127.0.0.1").enabled);
  EXPECT_FALSE(DecideAuth(AuthMode::kOff, "0.0.0.0").enabled);
  EXPECT_NE(DecideAuth(AuthMode::kAuto, "0.0.0.0").reason.find("non-loopback"), std::string::npos);
  EXPECT_TRUE(ParseAuthMode("on").ok());
  EXPECT_FALSE(ParseAuthMode("yes").ok());
}

}  // namespace
}  // namespace mosaico::auth
