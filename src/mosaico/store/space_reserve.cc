#include "mosaico/store/space_reserve.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include <arrow/filesystem/localfs.h>
#include <arrow/util/io_util.h>

namespace mosaico::store {

std::shared_ptr<SpaceReserve> SpaceReserve::ForStore(const ObjectStore& store, int64_t bytes) {
  if (!store.filesystem() || store.filesystem()->type_name() != "local") return nullptr;
  return std::make_shared<SpaceReserve>((std::filesystem::path(store.root()) / kFileName).string(), bytes);
}

arrow::Status SpaceReserve::Ensure() {
  std::lock_guard lock(mu_);
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0 && st.st_size >= bytes_) return arrow::Status::OK();
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return arrow::internal::IOErrorFromErrno(errno, "cannot create the space reserve '", path_, "'");
  const int rc = ::posix_fallocate(fd, 0, bytes_);  // returns the error number, does not set errno
  const int synced = rc == 0 ? ::fsync(fd) : 0;
  ::close(fd);
  if (rc != 0 || synced != 0) {
    ::unlink(path_.c_str());
    return arrow::internal::IOErrorFromErrno(rc != 0 ? rc : errno, "cannot allocate the space reserve '", path_,
                                             "' (", bytes_, " bytes)");
  }
  return arrow::Status::OK();
}

bool SpaceReserve::Release() {
  std::lock_guard lock(mu_);
  return ::unlink(path_.c_str()) == 0;
}

}  // namespace mosaico::store
