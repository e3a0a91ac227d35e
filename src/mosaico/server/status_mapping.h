// Maps mosaicod errors to the gRPC status a Flight client sees.
//
//   arrow Invalid          -> INVALID_ARGUMENT      arrow KeyError       -> NOT_FOUND
//   arrow AlreadyExists    -> ALREADY_EXISTS        arrow Cancelled      -> CANCELLED
//   ErrorKind::kPermissionDenied, kFailedPrecondition -> PERMISSION_DENIED
//   ErrorKind::kUnauthenticated -> UNAUTHENTICATED   ErrorKind::kUnavailable, arrow IOError -> UNAVAILABLE
//   anything else -> INTERNAL
// FAILED_PRECONDITION does not exist in Arrow Flight C++'s transport status codes (TransportStatusCode), so
// lifecycle violations travel as PERMISSION_DENIED: "this resource refuses the operation"; the message says why.
//
// What the client reads is the status message only, never its detail: catalog errors keep their SQL text in the
// detail (catalog/sqlite/sqlite_util.h, catalog/postgres/pg_conn.h), which the daemon's log line shows. An error
// carrying an errno (a full disk, a permission) gets the errno's text appended when the message lacks it, e.g.
// "... Error writing bytes to file: No space left on device" (RESOURCE_EXHAUSTED does not exist in Flight C++
// either: a full disk is UNAVAILABLE with that text).
#pragma once

#include <string>

#include <arrow/status.h>

namespace mosaico::server {

arrow::Status ToFlightStatus(const arrow::Status& st);
// The text a client is sent for `st`: its message, plus the errno's text when it carries one the message lacks.
std::string ClientMessage(const arrow::Status& st);

}  // namespace mosaico::server
