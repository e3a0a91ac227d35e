// What kind of failure a Status from this client is (the server's gRPC code, or the client's own check).
#pragma once

#include <arrow/status.h>

namespace mosaico::client {

enum class ErrorKind {
  kOk,
  kNotFound,          ///< unknown sequence / topic / session (gRPC NOT_FOUND)
  kAlreadyExists,     ///< duplicate sequence / topic
  kInvalidArgument,   ///< bad locator, window, schema, query, metadata key, or a client-side check
  kPermissionDenied,  ///< the key lacks the permission, or the resource refuses the operation (finalized)
  kUnauthenticated,   ///< no / unknown / revoked API key
  kUnavailable,       ///< server unreachable, or timed out
  kOther,
};

ErrorKind ErrorKindOf(const arrow::Status& status);
const char* ErrorKindName(ErrorKind kind);

}  // namespace mosaico::client
