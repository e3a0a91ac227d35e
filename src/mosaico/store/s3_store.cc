#include "mosaico/store/s3_store.h"

#include <atomic>
#include <mutex>

#include <arrow/filesystem/s3fs.h>

#include "mosaico/core/errors.h"
#include "mosaico/store/object_store.h"

namespace mosaico::store {
namespace {

std::mutex s3_library_mutex;
bool s3_library_initialized = false;

arrow::Status EnsureS3Library() {
  std::lock_guard lock(s3_library_mutex);
  if (s3_library_initialized) return arrow::Status::OK();
  arrow::fs::S3GlobalOptions global = arrow::fs::S3GlobalOptions::Defaults();
  global.log_level = arrow::fs::S3LogLevel::Fatal;  // our own logs say what failed
  ARROW_RETURN_NOT_OK(arrow::fs::InitializeS3(global));
  s3_library_initialized = true;
  return arrow::Status::OK();
}

std::string Where(const std::string& bucket, const S3Settings& s) {
  return "bucket '" + bucket + "' at " + (s.endpoint.empty() ? std::string("AWS S3") : s.scheme + "://" + s.endpoint) +
         " (region " + s.region + ")";
}

}  // namespace

arrow::Result<std::shared_ptr<ObjectStore>> OpenS3Store(const std::string& uri, const S3Settings& settings) {
  std::string root = uri.substr(5);  // after "s3://"
  while (!root.empty() && root.back() == '/') root.pop_back();
  const std::string bucket = root.substr(0, root.find('/'));
  if (bucket.empty()) return InvalidArgument("store URI '" + uri + "' names no bucket (s3://bucket[/prefix])");
  if (settings.access_key.empty() != settings.secret_key.empty()) {
    return InvalidArgument("S3 store: give both an access key and a secret key, or neither (default AWS chain)");
  }
  ARROW_RETURN_NOT_OK(EnsureS3Library());

  arrow::fs::S3Options options;
  if (settings.access_key.empty()) {
    options.ConfigureDefaultCredentials();
  } else {
    options.ConfigureAccessKey(settings.access_key, settings.secret_key);
  }
  options.region = settings.region;
  options.endpoint_override = settings.endpoint;
  options.scheme = settings.scheme;
  options.connect_timeout = settings.connect_timeout_seconds;
  options.request_timeout = settings.request_timeout_seconds;
  options.retry_strategy = arrow::fs::S3RetryStrategy::GetAwsStandardRetryStrategy(settings.max_attempts);
  options.allow_bucket_creation = false;  // a typo in the bucket name must not create a new bucket
  options.allow_bucket_deletion = false;
  // An object smaller than one upload part becomes a single PUT instead of a three-request multipart upload
  // (create, part, complete): most objects here are small manifests and schemas. Errors then surface at Close,
  // which every writer checks.
  options.allow_delayed_open = true;
  ARROW_ASSIGN_OR_RAISE(auto fs, arrow::fs::S3FileSystem::Make(options));

  auto info = fs->GetFileInfo(bucket);
  if (!info.ok()) {
    return arrow::Status::IOError("cannot reach S3 ", Where(bucket, settings), ": ", info.status().message(),
                                  " (check the endpoint, the credentials and the network)");
  }
  if (info->type() == arrow::fs::FileType::NotFound) {
    return InvalidArgument("S3 " + Where(bucket, settings) + " does not exist; create it first");
  }
  return std::make_shared<ObjectStore>(std::move(fs), root, /*local=*/false);
}

void FinalizeS3Library() {
  std::lock_guard lock(s3_library_mutex);
  if (!s3_library_initialized) return;
  (void)arrow::fs::FinalizeS3();
  s3_library_initialized = false;
}

}  // namespace mosaico::store
