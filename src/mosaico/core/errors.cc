#include "mosaico/core/errors.h"

#include <cerrno>

#include <arrow/util/io_util.h>

#include <memory>

namespace mosaico {
namespace {
constexpr char kErrorKindTypeId[] = "mosaico::ErrorKindDetail";

const char* KindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kFailedPrecondition: return "failed precondition";
    case ErrorKind::kPermissionDenied: return "permission denied";
    case ErrorKind::kUnauthenticated: return "unauthenticated";
    case ErrorKind::kAborted: return "aborted";
    case ErrorKind::kUnavailable: return "unavailable";
  }
  return "unknown";
}

arrow::Status Make(ErrorKind kind, arrow::StatusCode code, std::string msg) {
  return arrow::Status(code, std::move(msg), std::make_shared<ErrorKindDetail>(kind));
}
}  // namespace

const char* ErrorKindDetail::type_id() const { return kErrorKindTypeId; }
std::string ErrorKindDetail::ToString() const { return KindName(kind_); }

bool GetErrorKind(const arrow::Status& st, ErrorKind* out) {
  const auto& detail = st.detail();
  if (!detail || std::string(detail->type_id()) != kErrorKindTypeId) return false;
  *out = static_cast<const ErrorKindDetail&>(*detail).kind();
  return true;
}

arrow::Status FailedPrecondition(std::string msg) {
  return Make(ErrorKind::kFailedPrecondition, arrow::StatusCode::Invalid, std::move(msg));
}
arrow::Status PermissionDenied(std::string msg) {
  return Make(ErrorKind::kPermissionDenied, arrow::StatusCode::Invalid, std::move(msg));
}
arrow::Status Unauthenticated(std::string msg) {
  return Make(ErrorKind::kUnauthenticated, arrow::StatusCode::Invalid, std::move(msg));
}
arrow::Status Aborted(std::string msg) {
  return Make(ErrorKind::kAborted, arrow::StatusCode::Cancelled, std::move(msg));
}
arrow::Status Unavailable(std::string msg) {
  return Make(ErrorKind::kUnavailable, arrow::StatusCode::IOError, std::move(msg));
}

bool IsNoSpace(const arrow::Status& st) {
  if (st.ok()) return false;
  if (arrow::internal::ErrnoFromStatus(st) == ENOSPC) return true;
  const std::string& msg = st.message();
  return msg.find("No space left on device") != std::string::npos || msg.find("disk is full") != std::string::npos;
}

arrow::Status WithContext(const arrow::Status& st, const std::string& context) {
  if (st.ok()) return st;
  return arrow::Status(st.code(), context + ": " + st.message(), st.detail());
}

}  // namespace mosaico
