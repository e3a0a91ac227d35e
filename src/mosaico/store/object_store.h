// ObjectStore: the bulk store of mosaicod over arrow::fs::FileSystem: a local directory or an S3-compatible bucket.
//
// Contract:
//  - Keys are '/'-separated relative paths produced by store/layout.h only; this class never invents paths.
//  - PutAtomic makes an object appear whole or not at all (local: write to a temp file, fsync, rename;
//    S3: a single PUT is atomic).
//  - OpenWrite streams an object of unbounded size (local file; S3 multipart) — used for Parquet chunks, so
//    memory stays bounded by the writer's buffers. The object is complete (and, locally, fsynced) once the
//    stream is closed.
//  - Thread-safe: arrow filesystems are.
//  - S3: at most kMaxConcurrentS3Writes objects are being written at once per store (a PutAtomic for its PUT, an
//    OpenWrite stream until it is closed, aborted or destroyed); further writers wait. Arrow's S3 writer allocates
//    a whole upload part (10 MiB) at an object's first write, whatever its size: a fleet opening hundreds of
//    uploads at once (a schema object each) made the daemon hold gigabytes for objects of a few hundred bytes.
//    A thread must not open a second write on the same store while it holds one.
//  - Every byte written (PutAtomic, OpenWrite streams) is counted in mosaicod_store_bytes_written_total
//    (store/store_metrics.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/buffer.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/io/interfaces.h>
#include <arrow/result.h>

#include "mosaico/store/s3_settings.h"

namespace mosaico::store {

class ObjectStore {
 public:
  static constexpr int kMaxConcurrentS3Writes = 8;

  // `uri`: "file:///abs/dir" or a plain directory path (created if missing), or "s3://bucket[/prefix]" reached
  // with `s3` (store/s3_settings.h). The bucket must exist: a missing bucket, bad credentials or an unreachable
  // endpoint fail here with a message naming the bucket and endpoint, not at the first upload.
  static arrow::Result<std::shared_ptr<ObjectStore>> Open(const std::string& uri, const S3Settings& s3 = {});
  // Releases the S3 client library if an S3 store was ever opened; call once before the process exits.
  static void FinalizeS3IfUsed();

  ObjectStore(std::shared_ptr<arrow::fs::FileSystem> fs, std::string root, bool local);

  arrow::Status PutAtomic(const std::string& key, const std::shared_ptr<arrow::Buffer>& data);
  arrow::Status PutAtomic(const std::string& key, const std::string& data);
  arrow::Result<std::shared_ptr<arrow::Buffer>> Get(const std::string& key);
  arrow::Result<bool> Exists(const std::string& key);
  arrow::Result<int64_t> Size(const std::string& key);

  arrow::Result<std::shared_ptr<arrow::io::OutputStream>> OpenWrite(const std::string& key);
  arrow::Result<std::shared_ptr<arrow::io::RandomAccessFile>> OpenRead(const std::string& key);

  // Readiness probe (server/monitoring.h): OK when the store answers and its root is there -- a local root directory
  // that exists and is accessible, or an existing S3 bucket (one HEAD request, retried like every S3 call). IOError
  // naming the directory or bucket otherwise. Cost: one stat / one request, whatever the store holds.
  arrow::Status CheckAvailable();

  // Removes one object; missing is fine.
  arrow::Status Delete(const std::string& key);
  // Removes every object under `prefix` (a "directory" key); missing is fine.
  arrow::Status DeletePrefix(const std::string& prefix);
  // Removes the empty directories at and below `prefix` (local stores only: object stores have no directories).
  // A directory that is not empty is left alone, atomically (rmdir), so a concurrent writer creating an object
  // inside it is never affected: its object either lands before (the directory stays) or its write fails.
  arrow::Status PruneEmptyDirs(const std::string& prefix);
  // Keys of the objects under `prefix`, recursively, relative to the store root, sorted. Temporary objects of
  // PutAtomic writes in progress (or left by a crash: "/.tmp-" in the key) are skipped unless asked for.
  arrow::Result<std::vector<std::string>> List(const std::string& prefix, bool include_temporaries = false);

  const std::string& root() const { return root_; }
  const std::shared_ptr<arrow::fs::FileSystem>& filesystem() const { return fs_; }

 private:
  std::string Path(const std::string& key) const;

  std::shared_ptr<arrow::fs::FileSystem> fs_;
  std::string root_;
  bool local_;
  struct WriteSlots;  // S3 only: kMaxConcurrentS3Writes
  std::shared_ptr<WriteSlots> write_slots_;
};

}  // namespace mosaico::store
