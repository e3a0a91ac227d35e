#include "mosaico/server/status_mapping.h"

#include <cstring>

#include <arrow/flight/types.h>
#include <arrow/util/io_util.h>

#include "mosaico/core/errors.h"

namespace mosaico::server {
namespace fl = arrow::flight;

std::string ClientMessage(const arrow::Status& st) {
  std::string msg = st.message();
  const int err = arrow::internal::ErrnoFromStatus(st);
  if (err > 0) {
    const std::string text = std::strerror(err);
    if (msg.find(text) == std::string::npos) msg += ": " + text;
  }
  return msg;
}

arrow::Status ToFlightStatus(const arrow::Status& st) {
  if (st.ok()) return st;
  ErrorKind kind;
  if (GetErrorKind(st, &kind)) {
    switch (kind) {
      case ErrorKind::kFailedPrecondition:
      case ErrorKind::kPermissionDenied:
        return fl::MakeFlightError(fl::FlightStatusCode::Unauthorized, st.message());
      case ErrorKind::kUnauthenticated:
        return fl::MakeFlightError(fl::FlightStatusCode::Unauthenticated, st.message());
      case ErrorKind::kAborted:
        return arrow::Status::Cancelled(st.message());
      case ErrorKind::kUnavailable:
        return fl::MakeFlightError(fl::FlightStatusCode::Unavailable, ClientMessage(st));
    }
  }
  if (fl::FlightStatusDetail::UnwrapStatus(st)) return st;
  if (st.IsInvalid() || st.IsKeyError() || st.IsAlreadyExists() || st.IsCancelled() || st.IsNotImplemented()) {
    return arrow::Status(st.code(), st.message());
  }
  if (st.IsIOError()) return fl::MakeFlightError(fl::FlightStatusCode::Unavailable, ClientMessage(st));
  return fl::MakeFlightError(fl::FlightStatusCode::Internal, st.ToString());
}

}  // namespace mosaico::server
