#include "mosaico/server/startup_checks.h"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

#include "mosaico/catalog/catalog_url.h"
#include "mosaico/core/errors.h"

namespace mosaico::server {
namespace {

std::string Address(const std::string& host, int port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

arrow::Status CheckListenAddressFree(const std::string& host, int port) {
  if (port == 0) return arrow::Status::OK();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return InvalidArgument("cannot listen on " + Address(host, port) + ": " + ::gai_strerror(rc) + " (--host)");
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, ::freeaddrinfo);
  int last_errno = 0;
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    const int rc = ::bind(fd, ai->ai_addr, ai->ai_addrlen);
    last_errno = rc == 0 ? 0 : errno;
    ::close(fd);
    if (rc == 0) return arrow::Status::OK();
    if (last_errno == EADDRINUSE) {
      return Unavailable("address " + Address(host, port) +
                         " is already in use (another mosaicod?): stop it or choose another --port");
    }
  }
  return InvalidArgument("cannot listen on " + Address(host, port) + ": " + std::strerror(last_errno) +
                         (last_errno == EACCES ? " (ports below 1024 need privileges)" : " (--host/--port)"));
}

arrow::Status CheckWritableDirectory(const std::string& dir, const std::string& what) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return FailedPrecondition(what + " '" + dir + "' cannot be created: " + ec.message());
  const std::string probe = (std::filesystem::path(dir) / ".mosaicod-write-probe").string();
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err = fd < 0 ? errno : 0;
  if (fd >= 0) {
    const char byte = 'x';
    if (::write(fd, &byte, 1) != 1 || ::fsync(fd) != 0) err = errno;
    ::close(fd);
    ::unlink(probe.c_str());
  }
  if (err != 0) return FailedPrecondition(what + " '" + dir + "' is not writable: " + std::strerror(err));
  return arrow::Status::OK();
}

arrow::Status DescribeListenFailure(const arrow::Status& st, const std::string& host, int port) {
  if (st.ok()) return st;
  auto again = CheckListenAddressFree(host, port);
  if (!again.ok()) return again;
  return arrow::Status(st.code(), "the Flight server could not listen on " + Address(host, port) + ": " +
                                      st.message());
}

arrow::Status CheckServeStartup(const ServerConfig& config) {
  SilenceGrpcLogging();
  ARROW_RETURN_NOT_OK(CheckListenAddressFree(config.host, config.port));
  const std::string store = config.ResolvedStoreUri();
  if (store.rfind("s3://", 0) != 0) {
    ARROW_RETURN_NOT_OK(CheckWritableDirectory(store.rfind("file://", 0) == 0 ? store.substr(7) : store, "store directory"));
  }
  auto catalog_file = catalog::CatalogFileOfUrl(config.ResolvedCatalogUrl());
  if (catalog_file.ok() && catalog_file->has_value() && **catalog_file != ":memory:") {
    const std::filesystem::path file(**catalog_file);
    const std::string dir = file.parent_path().empty() ? "." : file.parent_path().string();
    ARROW_RETURN_NOT_OK(CheckWritableDirectory(dir, "catalog directory"));
    if (std::filesystem::exists(file) && ::access(file.c_str(), W_OK) != 0) {
      return FailedPrecondition("catalog file '" + file.string() + "' is not writable: " + std::strerror(errno));
    }
  }
  return arrow::Status::OK();
}

void SilenceGrpcLogging() {
  if (std::getenv("GRPC_VERBOSITY") == nullptr) ::setenv("GRPC_VERBOSITY", "NONE", /*overwrite=*/0);
}

}  // namespace mosaico::server
