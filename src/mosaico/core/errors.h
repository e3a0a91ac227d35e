// Error vocabulary of mosaicod.
//
// Every failure a client can see is an arrow::Status built by one of these factories. The kind decides the
// gRPC status the server sends (see server/status_mapping.h); the message must name the offending field or
// locator so that a person can act on it. Nothing below server/ knows about gRPC or Flight.
#pragma once

#include <string>

#include <arrow/status.h>

namespace mosaico {

// Kinds that arrow::StatusCode cannot express on its own. Attached as a StatusDetail.
enum class ErrorKind {
  kFailedPrecondition,  // lifecycle violation: the resource is locked, the upload is over, ...
  kPermissionDenied,    // the caller lacks the permission
  kUnauthenticated,     // no or unknown credentials
  kAborted,             // unexpected message on a stream
  kUnavailable,         // a backend (store, catalog) is unreachable right now
};

class ErrorKindDetail : public arrow::StatusDetail {
 public:
  explicit ErrorKindDetail(ErrorKind kind) : kind_(kind) {}
  const char* type_id() const override;
  std::string ToString() const override;
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// Returns the ErrorKind attached to `st`, or nullptr-equivalent false when there is none.
bool GetErrorKind(const arrow::Status& st, ErrorKind* out);

// Factories. Arrow codes map directly: Invalid -> INVALID_ARGUMENT, KeyError -> NOT_FOUND,
// AlreadyExists -> ALREADY_EXISTS.
inline arrow::Status InvalidArgument(std::string msg) { return arrow::Status::Invalid(std::move(msg)); }
inline arrow::Status NotFound(std::string msg) { return arrow::Status::KeyError(std::move(msg)); }
inline arrow::Status AlreadyExists(std::string msg) { return arrow::Status::AlreadyExists(std::move(msg)); }
arrow::Status FailedPrecondition(std::string msg);
arrow::Status PermissionDenied(std::string msg);
arrow::Status Unauthenticated(std::string msg);
arrow::Status Aborted(std::string msg);
arrow::Status Unavailable(std::string msg);

// True when `st` failed for lack of disk space: errno ENOSPC attached (arrow's filesystem errors), or SQLite's
// "database or disk is full", or the errno text in the message.
bool IsNoSpace(const arrow::Status& st);

// Prefixes the message of a failed status with context, keeping code and detail.
arrow::Status WithContext(const arrow::Status& st, const std::string& context);

}  // namespace mosaico
