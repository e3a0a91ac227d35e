// Daemon-wide request limits (docs/SECURITY.md "Limits"): what one client can make the daemon hold or do.
//
//   StreamSlots       a cap on in-flight streams (DoPut, DoGet, streaming query actions), daemon-wide. A call over
//                     the cap is refused with UNAVAILABLE naming the limit and --max-concurrent-streams (Arrow
//                     Flight C++ cannot send RESOURCE_EXHAUSTED: its transport status codes have no such code).
//                     A slot is a token: it is released when the last copy is destroyed, on every exit path.
//                     Slots held are reported as mosaicod_open_streams{rpc} (service_metrics.h).
//   RequestDeadline   a server-side time limit on unary work (actions, GetFlightInfo); DEADLINE_EXCEEDED naming
//                     the limit and --request-timeout-seconds. Also the idle limit between two messages of a DoPut.
//   CheckMessageBytes / CheckFieldBytes   size caps on what a client sent: a FlightData body, an action body, user
//                     metadata, a notification message; INVALID_ARGUMENT naming the field, the size and the limit.
// Arrow Flight's gRPC server accepts messages of any size (pyarrow ships no gRPC headers to change that), so the
// message limit is enforced here, on every message after gRPC received it: the daemon refuses it, but it has
// been read into memory once.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/status.h>

namespace mosaico::server {

class StreamSlots {
 public:
  using Slot = std::shared_ptr<void>;

  explicit StreamSlots(int max_streams);  // <= 0: unlimited

  // A slot for one stream of `rpc` on `target`, or UNAVAILABLE when max_streams are in flight.
  arrow::Result<Slot> Acquire(std::string_view rpc, std::string_view target);
  int in_use() const;
  int limit() const { return state_->max; }

 private:
  struct State {
    std::mutex mu;
    int in_use = 0;
    int max = 0;
  };
  std::shared_ptr<State> state_;
};

// Wraps a DoGet reader so that `slot` stays held until the stream is finished or abandoned.
std::shared_ptr<arrow::RecordBatchReader> HoldSlotWhileReading(std::shared_ptr<arrow::RecordBatchReader> inner,
                                                               StreamSlots::Slot slot);

class RequestDeadline {
 public:
  // `seconds` <= 0: no limit. `flag` names the option that sets it, for the error message.
  RequestDeadline(double seconds, std::string flag);
  bool Expired() const;
  void Restart();  // the idle limit of a stream counts from its last message
  // DEADLINE_EXCEEDED: "<what> exceeded the <N> s limit (<flag>)".
  arrow::Status Exceeded(std::string_view what) const;

 private:
  std::chrono::steady_clock::duration limit_{};
  bool enabled_ = false;
  std::chrono::steady_clock::time_point start_;
  double seconds_;
  std::string flag_;
};

// INVALID_ARGUMENT when `bytes` > `limit` (limit <= 0: none): "<what> is N bytes, over the limit of M bytes (<flag>)".
arrow::Status CheckFieldBytes(std::string_view what, int64_t bytes, int64_t limit, std::string_view flag);

// The bytes one decoded FlightData message carried (its Arrow buffers), checked against the message size limit.
arrow::Status CheckBatchBytes(const arrow::RecordBatch& batch, int64_t limit, std::string_view target);

}  // namespace mosaico::server
