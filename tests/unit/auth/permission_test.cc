// The permission ladder (auth/permission.h) and the --auth mode decision (auth/auth_mode.h).
#include <gtest/gtest.h>

#include "mosaico/auth/auth_mode.h"
#include "mosaico/auth/permission.h"

namespace mosaico::auth {
namespace {

TEST(PermissionTest, LadderReadWriteDeleteManage) {
  const Permission all[] = {Permission::kRead, Permission::kWrite, Permission::kDelete, Permission::kManage};
  for (int g = 0; g < 4; ++g) {
    for (int r = 0; r < 4; ++r) {
      EXPECT_EQ(Allows(all[g], all[r]), g >= r) << PermissionName(all[g]) << " vs " << PermissionName(all[r]);
    }
  }
}

TEST(PermissionTest, NamesRoundTrip) {
  for (Permission p : {Permission::kRead, Permission::kWrite, Permission::kDelete, Permission::kManage}) {
    auto back = PermissionFromName(PermissionName(p));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, p);
  }
  EXPECT_EQ(std::string(PermissionName(Permission::kDelete)), "delete");
  EXPECT_FALSE(PermissionFromName("Read").has_value());
  EXPECT_FALSE(PermissionFromName("admin").has_value());
  auto bad = ParsePermission("admin", "permissions");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsInvalid());
  EXPECT_NE(bad.status().message().find("permissions"), std::string::npos);
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
