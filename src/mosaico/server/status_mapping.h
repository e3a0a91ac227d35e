// Maps mosaicod errors to the gRPC status a Flight client sees.
//
//   arrow Invalid          -> INVALID_ARGUMENT      arrow KeyError       -> NOT_FOUND
//   arrow AlreadyExists    -> ALREADY_EXISTS        arrow Cancelled      -> CANCELLED
//   ErrorKind::kPermissionDenied, kFailedPrecondition -> PERMISSION_DENIED
//   ErrorKind::kUnauthenticated -> UNAUTHENTICATED   ErrorKind::kUnavailable, arrow IOError -> UNAVAILABLE
//   anything else -> INTERNAL
// FAILED_PRECONDITION does not exist in Arrow Flight C++'s transport status codes (TransportStatusCode), so
// lifecycle violations travel as PERMISSION_DENIED: "this resource refuses the operation"; the message says why.
#pragma once

#include <arrow/status.h>

namespace mosaico::server {

arrow::Status ToFlightStatus(const arrow::Status& st);

}  // namespace mosaico::server
