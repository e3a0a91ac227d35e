// TLS for the Flight server: the PEM certificate chain and private key named by --tls-cert / --tls-key.
// Both or neither: one without the other is INVALID_ARGUMENT naming the missing flag; an unreadable or empty file
// (or one that is not PEM) is INVALID_ARGUMENT naming the file. The key is read once at start and kept in memory.
#pragma once

#include <string>
#include <vector>

#include <arrow/flight/types.h>
#include <arrow/result.h>

namespace mosaico::server {

// Empty when TLS is off (both paths empty).
arrow::Result<std::vector<arrow::flight::CertKeyPair>> LoadTlsCertificates(const std::string& cert_path,
                                                                           const std::string& key_path);

}  // namespace mosaico::server
