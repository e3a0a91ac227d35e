#include "mosaico/server/tls_files.h"

#include <fstream>
#include <sstream>

#include "mosaico/core/errors.h"

namespace mosaico::server {
namespace {

arrow::Result<std::string> ReadPem(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("cannot read the TLS " + what + " file '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  std::string pem = text.str();
  if (pem.find("-----BEGIN ") == std::string::npos) {
    return InvalidArgument("the TLS " + what + " file '" + path + "' is not PEM");
  }
  return pem;
}

}  // namespace

arrow::Result<std::vector<arrow::flight::CertKeyPair>> LoadTlsCertificates(const std::string& cert_path,
                                                                           const std::string& key_path) {
  if (cert_path.empty() && key_path.empty()) return std::vector<arrow::flight::CertKeyPair>{};
  if (cert_path.empty()) return InvalidArgument("--tls-key given without --tls-cert");
  if (key_path.empty()) return InvalidArgument("--tls-cert given without --tls-key");
  arrow::flight::CertKeyPair pair;
  ARROW_ASSIGN_OR_RAISE(pair.pem_cert, ReadPem(cert_path, "certificate"));
  ARROW_ASSIGN_OR_RAISE(pair.pem_key, ReadPem(key_path, "key"));
  return std::vector<arrow::flight::CertKeyPair>{std::move(pair)};
}

}  // namespace mosaico::server
