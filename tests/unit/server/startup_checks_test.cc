// Start-up checks (server/startup_checks.h) and what a client is told about internal failures
// (server/status_mapping.h).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include <gtest/gtest.h>

#include <arrow/flight/types.h>
#include <arrow/util/io_util.h>

#include "mosaico/catalog/sqlite/sqlite_util.h"
#include "mosaico/core/errors.h"
#include "mosaico/server/startup_checks.h"
#include "mosaico/server/status_mapping.h"

namespace mosaico::server {
namespace {

TEST(StartupChecksTest, AddressInUseIsNamed) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);
  auto st = CheckListenAddressFree("127.0.0.1", port);
  ::close(fd);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("127.0.0.1:" + std::to_string(port) + " is already in use"), std::string::npos)
      << st.message();
  EXPECT_TRUE(CheckListenAddressFree("127.0.0.1", port).ok()) << "free again once closed";
  EXPECT_TRUE(CheckListenAddressFree("127.0.0.1", 0).ok());
  auto unknown = CheckListenAddressFree("no-such-host.invalid", 7000);
  ASSERT_TRUE(unknown.IsInvalid());
  EXPECT_NE(unknown.message().find("no-such-host.invalid:7000"), std::string::npos);
}

TEST(StartupChecksTest, WritableDirectoryIsCreatedAndProbed) {
  const auto dir = std::filesystem::temp_directory_path() / ("mosaico-startup-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  EXPECT_TRUE(CheckWritableDirectory((dir / "a" / "b").string(), "data dir").ok());
  EXPECT_TRUE(std::filesystem::is_directory(dir / "a" / "b"));
  EXPECT_TRUE(std::filesystem::is_empty(dir / "a" / "b")) << "the probe file is removed";
  auto bad = CheckWritableDirectory("/proc/mosaico-cannot-exist", "store directory");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("store directory '/proc/mosaico-cannot-exist'"), std::string::npos) << bad.message();
  std::filesystem::remove_all(dir);
}

TEST(StatusMappingTest, ClientMessagesKeepSqlOutAndErrnoIn) {
  auto sql = catalog::sqlite::SqliteError(nullptr, 13 /* SQLITE_FULL */, "step", "INSERT INTO sequences VALUES (1)");
  EXPECT_EQ(sql.message().find("INSERT"), std::string::npos) << sql.message();
  EXPECT_NE(sql.ToString().find("INSERT INTO sequences"), std::string::npos) << "the log line keeps the SQL";
  EXPECT_TRUE(IsNoSpace(sql)) << sql.message();
  auto flight = ToFlightStatus(sql);
  EXPECT_EQ(flight.message().find("INSERT"), std::string::npos) << flight.ToString();

  auto full = arrow::internal::IOErrorFromErrno(ENOSPC, "Error writing bytes to file");
  EXPECT_TRUE(IsNoSpace(full));
  EXPECT_EQ(ClientMessage(full), "Error writing bytes to file: No space left on device");
  auto mapped = ToFlightStatus(WithContext(full, "topic 'a/b'"));
  EXPECT_NE(mapped.message().find("topic 'a/b': Error writing bytes to file: No space left on device"),
            std::string::npos)
      << mapped.ToString();
  auto detail = arrow::flight::FlightStatusDetail::UnwrapStatus(mapped);
  ASSERT_NE(detail, nullptr);
  EXPECT_EQ(detail->code(), arrow::flight::FlightStatusCode::Unavailable);
  EXPECT_FALSE(IsNoSpace(arrow::Status::IOError("connection refused")));
}

}  // namespace
}  // namespace mosaico::server
