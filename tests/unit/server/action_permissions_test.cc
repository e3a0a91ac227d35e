// Every registered action declares its API-key permission, with the mapping of docs/SECURITY.md.
#include <string>

#include <gtest/gtest.h>

#include "mosaico/server/actions/action_registry.h"
#include "mosaico/server/auth_middleware.h"

namespace mosaico::server {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

TEST(ActionPermissionsTest, EveryActionDeclaresOne) {
  const auto all = DefaultActionRegistry().All();
  ASSERT_FALSE(all.empty());
  for (const ActionSpec* spec : all) {
    EXPECT_TRUE(spec->permission.has_value()) << "action '" << spec->name << "' declares no permission";
  }
}

// The mapping of mosaicolabs 0.7.0 (docs/SECURITY.md): *_create and session_finalize need write; *_delete and *_purge
// need delete; query, topic_filter_* and *_list need read; `info` needs only a valid key (the SDK calls it to
// connect, whatever the key's flags). There are no api_key_* actions.
TEST(ActionPermissionsTest, MappingFollowsTheProtocol) {
  for (const ActionSpec* spec : DefaultActionRegistry().All()) {
    if (!spec->permission) continue;
    const std::string& n = spec->name;
    EXPECT_NE(n.rfind("api_key_", 0), 0u) << n << ": keys are managed by `mosaicod api-key` only";
    auth::Permissions want = auth::Permission::kRead;
    if (n == "info") {
      want = auth::Permissions();
    } else if (EndsWith(n, "_delete") || EndsWith(n, "_purge")) {
      want = auth::Permission::kDelete;
    } else if (EndsWith(n, "_create") || n == "session_finalize") {
      want = auth::Permission::kWrite;
    }
    EXPECT_EQ(*spec->permission, want) << n << " declares " << spec->permission->ToString();
  }
  for (const char* name : {"query", "topic_filter_clusterize", "topic_filter_intersect", "sequence_notification_list",
                           "topic_notification_list"}) {
    const ActionSpec* spec = DefaultActionRegistry().Find(name);
    ASSERT_NE(spec, nullptr) << name;
    EXPECT_EQ(spec->permission, std::optional<auth::Permissions>(auth::Permission::kRead)) << name;
  }
  for (const char* name : {"api_key_create", "api_key_list", "api_key_status", "api_key_revoke", "api_key_purge"}) {
    EXPECT_EQ(DefaultActionRegistry().Find(name), nullptr) << name;
  }
}

TEST(ActionPermissionsTest, RpcPermissions) {
  namespace fl = arrow::flight;
  EXPECT_EQ(RpcPermission(fl::FlightMethod::DoPut), std::optional<auth::Permission>(auth::Permission::kWrite));
  for (auto m : {fl::FlightMethod::ListFlights, fl::FlightMethod::GetFlightInfo, fl::FlightMethod::GetSchema,
                 fl::FlightMethod::DoGet, fl::FlightMethod::ListActions}) {
    EXPECT_EQ(RpcPermission(m), std::optional<auth::Permission>(auth::Permission::kRead)) << fl::ToString(m);
  }
  EXPECT_FALSE(RpcPermission(fl::FlightMethod::DoAction).has_value());
}

TEST(ActionPermissionsTest, RegisterWithoutPermissionLeavesItUnset) {
  ActionRegistry r;
  r.Register({"x", "no permission", nullptr});
  r.Register({"y", "read", nullptr}, auth::Permission::kRead);
  EXPECT_FALSE(r.Find("x")->permission.has_value());
  EXPECT_EQ(r.Find("y")->permission, std::optional<auth::Permissions>(auth::Permission::kRead));
}

}  // namespace
}  // namespace mosaico::server
