#include "store_options.h"

#include <fstream>
#include <sstream>

namespace mosaicod {
namespace {

arrow::Status ReadSecret(const std::string& path, const char* what, std::string* out) {
  if (path.empty()) return arrow::Status::OK();
  std::ifstream in(path);
  if (!in) return arrow::Status::Invalid("cannot read the S3 ", what, " file '", path, "'");
  std::stringstream text;
  text << in.rdbuf();
  std::string value = text.str();
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r' || value.back() == ' ')) value.pop_back();
  if (value.empty()) return arrow::Status::Invalid("the S3 ", what, " file '", path, "' is empty");
  *out = std::move(value);
  return arrow::Status::OK();
}

}  // namespace

void StoreOptions::AddTo(CLI::App* cmd) {
  cmd->add_option("--store-endpoint", s3.endpoint, "S3-compatible endpoint host:port (empty: AWS S3)")
      ->envname("MOSAICOD_STORE_ENDPOINT");
  cmd->add_option("--store-scheme", s3.scheme, "http or https for the S3 endpoint")
      ->envname("MOSAICOD_STORE_SCHEME")->check(CLI::IsMember({"http", "https"}))->capture_default_str();
  cmd->add_option("--store-region", s3.region, "S3 region")->envname("MOSAICOD_STORE_REGION")->capture_default_str();
  cmd->add_option("--store-access-key", s3.access_key, "S3 access key (prefer the env var or a file)")
      ->envname("MOSAICOD_STORE_ACCESS_KEY");
  cmd->add_option("--store-secret-key", s3.secret_key, "S3 secret key (prefer the env var or a file)")
      ->envname("MOSAICOD_STORE_SECRET_KEY");
  cmd->add_option("--store-access-key-file", access_key_file, "File holding the S3 access key")
      ->envname("MOSAICOD_STORE_ACCESS_KEY_FILE");
  cmd->add_option("--store-secret-key-file", secret_key_file, "File holding the S3 secret key")
      ->envname("MOSAICOD_STORE_SECRET_KEY_FILE");
}

arrow::Status StoreOptions::Resolve() {
  ARROW_RETURN_NOT_OK(ReadSecret(access_key_file, "access key", &s3.access_key));
  return ReadSecret(secret_key_file, "secret key", &s3.secret_key);
}

}  // namespace mosaicod
