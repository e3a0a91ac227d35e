#include "mosaico/store/object_store.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <system_error>

#include <arrow/filesystem/localfs.h>
#include <arrow/io/file.h>
#include <arrow/io/memory.h>

#include "mosaico/core/errors.h"
#include "mosaico/core/ids.h"
#include "mosaico/store/s3_store.h"
#include "mosaico/store/store_metrics.h"

namespace mosaico::store {
namespace {

std::string ParentOf(const std::string& path) {
  auto pos = path.rfind('/');
  return pos == std::string::npos ? std::string() : path.substr(0, pos);
}

// fsync a local file or directory; best effort on directories.
arrow::Status SyncLocalPath(const std::string& path, bool is_dir) {
  int fd = ::open(path.c_str(), is_dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return is_dir ? arrow::Status::OK() : arrow::Status::IOError("cannot open ", path, " for fsync");
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0 && !is_dir) return arrow::Status::IOError("fsync failed for ", path);
  return arrow::Status::OK();
}

// An output stream that forwards everything to `inner_`; the wrappers below change only what they are about.
class ForwardingOutputStream : public arrow::io::OutputStream {
 public:
  explicit ForwardingOutputStream(std::shared_ptr<arrow::io::OutputStream> inner) : inner_(std::move(inner)) {}
  arrow::Status Close() override { return inner_->Close(); }
  arrow::Status Abort() override { return inner_->Abort(); }
  bool closed() const override { return inner_->closed(); }
  arrow::Result<int64_t> Tell() const override { return inner_->Tell(); }
  arrow::Status Write(const void* data, int64_t nbytes) override { return inner_->Write(data, nbytes); }
  arrow::Status Write(const std::shared_ptr<arrow::Buffer>& data) override { return inner_->Write(data); }
  arrow::Status Flush() override { return inner_->Flush(); }

 protected:
  std::shared_ptr<arrow::io::OutputStream> inner_;
};

// A local file stream that fsyncs the file when closed, so an object is durable once its writer closes it.
// While the object is written it asks the kernel to start writing back every kWritebackBytes already written
// (sync_file_range SYNC_FILE_RANGE_WRITE: start, do not wait), so the disk works while the writer still encodes and
// the fsync at close waits only for the last stretch. The durability is the fsync's, exactly as before; the early
// writeback only moves disk work earlier (and keeps dirty page-cache memory low).
class DurableLocalOutputStream : public ForwardingOutputStream {
 public:
  static constexpr int64_t kWritebackBytes = 8 << 20;

  DurableLocalOutputStream(std::shared_ptr<arrow::io::OutputStream> inner, std::string path)
      : ForwardingOutputStream(std::move(inner)), path_(std::move(path)) {
    if (auto* file = dynamic_cast<arrow::io::FileOutputStream*>(inner_.get())) fd_ = file->file_descriptor();
  }
  arrow::Status Write(const void* data, int64_t nbytes) override {
    ARROW_RETURN_NOT_OK(inner_->Write(data, nbytes));
    return Written(nbytes);
  }
  arrow::Status Write(const std::shared_ptr<arrow::Buffer>& data) override {
    ARROW_RETURN_NOT_OK(inner_->Write(data));
    return Written(data->size());
  }
  arrow::Status Close() override {
    ARROW_RETURN_NOT_OK(inner_->Close());
    return SyncLocalPath(path_, false);
  }

 private:
  arrow::Status Written(int64_t nbytes) {
    written_ += nbytes;
    if (fd_ < 0 || written_ - kicked_ < kWritebackBytes) return arrow::Status::OK();
    // Best effort: a file system without it (or an error) leaves everything to the fsync at close.
    (void)::sync_file_range(fd_, kicked_, written_ - kicked_, SYNC_FILE_RANGE_WRITE);
    kicked_ = written_;
    return arrow::Status::OK();
  }

  std::string path_;
  int fd_ = -1;
  int64_t written_ = 0;
  int64_t kicked_ = 0;
};

// Counts the bytes written through a store stream (store/store_metrics.h).
class CountingOutputStream : public ForwardingOutputStream {
 public:
  using ForwardingOutputStream::ForwardingOutputStream;
  arrow::Status Write(const void* data, int64_t nbytes) override {
    ARROW_RETURN_NOT_OK(inner_->Write(data, nbytes));
    StoreBytesWritten().Inc(static_cast<uint64_t>(nbytes));
    return arrow::Status::OK();
  }
  arrow::Status Write(const std::shared_ptr<arrow::Buffer>& data) override {
    ARROW_RETURN_NOT_OK(inner_->Write(data));
    StoreBytesWritten().Inc(static_cast<uint64_t>(data->size()));
    return arrow::Status::OK();
  }
};

// Keeps an S3 write slot until the stream is closed, aborted or destroyed.
class SlotHoldingOutputStream : public ForwardingOutputStream {
 public:
  SlotHoldingOutputStream(std::shared_ptr<arrow::io::OutputStream> inner, std::shared_ptr<void> slot)
      : ForwardingOutputStream(std::move(inner)), slot_(std::move(slot)) {}
  // The inner stream goes first (it may still upload when destroyed unclosed), then the slot.
  ~SlotHoldingOutputStream() override { inner_.reset(); }
  arrow::Status Close() override {
    arrow::Status st = inner_->Close();
    slot_.reset();
    return st;
  }
  arrow::Status Abort() override {
    arrow::Status st = inner_->Abort();
    slot_.reset();
    return st;
  }

 private:
  std::shared_ptr<void> slot_;
};

}  // namespace

struct ObjectStore::WriteSlots {
  std::mutex mu;
  std::condition_variable cv;
  int free = kMaxConcurrentS3Writes;

  // Waits for a slot; it is given back when the returned token is destroyed.
  static std::shared_ptr<void> Acquire(const std::shared_ptr<WriteSlots>& slots) {
    if (!slots) return nullptr;
    std::unique_lock<std::mutex> lock(slots->mu);
    slots->cv.wait(lock, [&] { return slots->free > 0; });
    --slots->free;
    return std::shared_ptr<void>(slots.get(), [slots](void*) {
      {
        std::lock_guard<std::mutex> l(slots->mu);
        ++slots->free;
      }
      slots->cv.notify_one();
    });
  }
};

arrow::Result<std::shared_ptr<ObjectStore>> ObjectStore::Open(const std::string& uri, const S3Settings& s3) {
  if (uri.rfind("s3://", 0) == 0) return OpenS3Store(uri, s3);
  std::string path = uri;
  if (path.rfind("file://", 0) == 0) path = path.substr(7);
  if (path.find("://") != std::string::npos) {
    return InvalidArgument("unsupported store URI '" + uri +
                           "' (supported: s3://bucket[/prefix], file:///dir or a directory path)");
  }
  if (path.empty()) return InvalidArgument("empty store path");
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  auto fs = std::make_shared<arrow::fs::LocalFileSystem>();
  ARROW_RETURN_NOT_OK(fs->CreateDir(path, /*recursive=*/true));
  return std::make_shared<ObjectStore>(fs, path, /*local=*/true);
}

void ObjectStore::FinalizeS3IfUsed() { FinalizeS3Library(); }

ObjectStore::ObjectStore(std::shared_ptr<arrow::fs::FileSystem> fs, std::string root, bool local)
    : fs_(std::move(fs)), root_(std::move(root)), local_(local) {
  if (!local_) write_slots_ = std::make_shared<WriteSlots>();
}

std::string ObjectStore::Path(const std::string& key) const { return root_ + "/" + key; }

arrow::Status ObjectStore::PutAtomic(const std::string& key, const std::shared_ptr<arrow::Buffer>& data) {
  const std::string path = Path(key);
  StoreBytesWritten().Inc(static_cast<uint64_t>(data->size()));
  if (!local_) {
    auto slot = WriteSlots::Acquire(write_slots_);
    ARROW_ASSIGN_OR_RAISE(auto out, fs_->OpenOutputStream(path));
    ARROW_RETURN_NOT_OK(out->Write(data));
    return out->Close();
  }
  const std::string dir = ParentOf(path);
  ARROW_RETURN_NOT_OK(fs_->CreateDir(dir, /*recursive=*/true));
  const std::string tmp = dir + "/.tmp-" + NewUuid();
  {
    ARROW_ASSIGN_OR_RAISE(auto out, fs_->OpenOutputStream(tmp));
    ARROW_RETURN_NOT_OK(out->Write(data));
    ARROW_RETURN_NOT_OK(out->Close());
  }
  ARROW_RETURN_NOT_OK(SyncLocalPath(tmp, false));
  auto st = fs_->Move(tmp, path);
  if (!st.ok()) {
    (void)fs_->DeleteFile(tmp);
    return st;
  }
  return SyncLocalPath(dir, true);
}

arrow::Status ObjectStore::PutAtomic(const std::string& key, const std::string& data) {
  return PutAtomic(key, arrow::Buffer::FromString(data));
}

arrow::Result<std::shared_ptr<arrow::Buffer>> ObjectStore::Get(const std::string& key) {
  auto in = fs_->OpenInputFile(Path(key));
  if (!in.ok()) {
    ARROW_ASSIGN_OR_RAISE(bool exists, Exists(key));
    if (!exists) return NotFound("object '" + key + "' not found in store");
    return in.status();
  }
  ARROW_ASSIGN_OR_RAISE(int64_t size, (*in)->GetSize());
  return (*in)->ReadAt(0, size);
}

arrow::Result<bool> ObjectStore::Exists(const std::string& key) {
  ARROW_ASSIGN_OR_RAISE(auto info, fs_->GetFileInfo(Path(key)));
  return info.type() == arrow::fs::FileType::File;
}

arrow::Result<int64_t> ObjectStore::Size(const std::string& key) {
  ARROW_ASSIGN_OR_RAISE(auto info, fs_->GetFileInfo(Path(key)));
  if (info.type() != arrow::fs::FileType::File) return NotFound("object '" + key + "' not found in store");
  return info.size();
}

arrow::Result<std::shared_ptr<arrow::io::OutputStream>> ObjectStore::OpenWrite(const std::string& key) {
  const std::string path = Path(key);
  if (!local_) {
    auto slot = WriteSlots::Acquire(write_slots_);
    ARROW_ASSIGN_OR_RAISE(auto out, fs_->OpenOutputStream(path));
    return std::make_shared<CountingOutputStream>(
        std::make_shared<SlotHoldingOutputStream>(std::move(out), std::move(slot)));
  }
  ARROW_RETURN_NOT_OK(fs_->CreateDir(ParentOf(path), /*recursive=*/true));
  ARROW_ASSIGN_OR_RAISE(auto inner, fs_->OpenOutputStream(path));
  return std::make_shared<CountingOutputStream>(std::make_shared<DurableLocalOutputStream>(std::move(inner), path));
}

arrow::Status ObjectStore::CheckAvailable() {
  // Local: the root directory itself. S3: the bucket (one HEAD request), as Open checked it: a prefix that holds
  // no object yet does not "exist" in S3, and that is fine.
  const std::string target = local_ ? root_ : root_.substr(0, root_.find('/'));
  ARROW_ASSIGN_OR_RAISE(auto info, fs_->GetFileInfo(target));
  if (info.type() != arrow::fs::FileType::Directory) {
    return arrow::Status::IOError(local_ ? "store directory '" : "store bucket '", target,
                                  info.type() == arrow::fs::FileType::NotFound ? "' does not exist"
                                                                              : "' is not a directory");
  }
  if (local_ && ::access(root_.c_str(), R_OK | W_OK | X_OK) != 0) {
    return arrow::Status::IOError("store directory '", root_, "' is not accessible: ", std::strerror(errno));
  }
  return arrow::Status::OK();
}

arrow::Result<std::shared_ptr<arrow::io::RandomAccessFile>> ObjectStore::OpenRead(const std::string& key) {
  return fs_->OpenInputFile(Path(key));
}

arrow::Status ObjectStore::Delete(const std::string& key) {
  ARROW_ASSIGN_OR_RAISE(auto info, fs_->GetFileInfo(Path(key)));
  if (info.type() == arrow::fs::FileType::NotFound) return arrow::Status::OK();
  return fs_->DeleteFile(Path(key));
}

arrow::Status ObjectStore::DeletePrefix(const std::string& prefix) {
  ARROW_ASSIGN_OR_RAISE(auto info, fs_->GetFileInfo(Path(prefix)));
  if (info.type() == arrow::fs::FileType::NotFound) return arrow::Status::OK();
  if (info.type() == arrow::fs::FileType::File) return fs_->DeleteFile(Path(prefix));
  return fs_->DeleteDir(Path(prefix));
}

arrow::Status ObjectStore::PruneEmptyDirs(const std::string& prefix) {
  if (!local_) return arrow::Status::OK();
  namespace stdfs = std::filesystem;
  const stdfs::path top(Path(prefix));
  std::error_code ec;
  if (!stdfs::is_directory(top, ec)) return arrow::Status::OK();
  std::vector<stdfs::path> dirs;
  for (auto it = stdfs::recursive_directory_iterator(top, ec); !ec && it != stdfs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_directory(ec)) dirs.push_back(it->path());
  }
  std::sort(dirs.begin(), dirs.end(), [](const stdfs::path& a, const stdfs::path& b) {
    return a.native().size() > b.native().size();  // deepest first
  });
  dirs.push_back(top);
  for (const auto& dir : dirs) {
    if (::rmdir(dir.c_str()) != 0 && errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT) {
      return arrow::Status::IOError("cannot remove empty directory '", dir.string(), "': ", std::strerror(errno));
    }
  }
  return arrow::Status::OK();
}

arrow::Result<std::vector<std::string>> ObjectStore::List(const std::string& prefix, bool include_temporaries) {
  std::vector<std::string> keys;
  ARROW_ASSIGN_OR_RAISE(auto dir_info, fs_->GetFileInfo(Path(prefix)));
  if (dir_info.type() != arrow::fs::FileType::Directory) return keys;
  arrow::fs::FileSelector sel;
  sel.base_dir = Path(prefix);
  sel.recursive = true;
  ARROW_ASSIGN_OR_RAISE(auto infos, fs_->GetFileInfo(sel));
  const size_t strip = root_.size() + 1;
  for (const auto& info : infos) {
    if (info.type() != arrow::fs::FileType::File) continue;
    std::string key = info.path().substr(strip);
    if (!include_temporaries && key.find("/.tmp-") != std::string::npos) continue;
    keys.push_back(std::move(key));
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace mosaico::store
