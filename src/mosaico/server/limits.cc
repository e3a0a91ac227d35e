#include "mosaico/server/limits.h"

#include <arrow/flight/types.h>
#include <arrow/util/byte_size.h>
#include <spdlog/spdlog.h>

#include "mosaico/core/errors.h"
#include "mosaico/server/service_metrics.h"

namespace mosaico::server {
namespace {

std::string FormatSeconds(double seconds) {
  std::string s = std::to_string(seconds);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// Forwards batches; owns the slot until destroyed (stream finished, client gone, or call cancelled).
class SlotHoldingReader : public arrow::RecordBatchReader {
 public:
  SlotHoldingReader(std::shared_ptr<arrow::RecordBatchReader> inner, StreamSlots::Slot slot)
      : inner_(std::move(inner)), slot_(std::move(slot)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return inner_->schema(); }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override { return inner_->ReadNext(batch); }
  arrow::Status Close() override { return inner_->Close(); }

 private:
  std::shared_ptr<arrow::RecordBatchReader> inner_;
  StreamSlots::Slot slot_;
};

}  // namespace

StreamSlots::StreamSlots(int max_streams) : state_(std::make_shared<State>()) { state_->max = max_streams; }

arrow::Result<StreamSlots::Slot> StreamSlots::Acquire(std::string_view rpc, std::string_view target) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->max > 0 && state_->in_use >= state_->max) {
      spdlog::warn("event=stream_refused rpc={} target={} in_use={} limit={}", rpc, target, state_->in_use,
                   state_->max);
      return Unavailable("too many concurrent streams: " + std::to_string(state_->in_use) + " in flight, limit " +
                         std::to_string(state_->max) + " (--max-concurrent-streams); retry later");
    }
    ++state_->in_use;
  }
  metrics::Gauge* open = &OpenStreamsGauge(rpc);  // mosaicod_open_streams{rpc} (service_metrics.h)
  open->Add(1);
  std::shared_ptr<State> state = state_;
  // The deleter releases the slot; the pointee is the state itself (never deleted by the token).
  return Slot(state.get(), [state, open](void*) {
    open->Add(-1);
    std::lock_guard<std::mutex> lock(state->mu);
    --state->in_use;
  });
}

int StreamSlots::in_use() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->in_use;
}

std::shared_ptr<arrow::RecordBatchReader> HoldSlotWhileReading(std::shared_ptr<arrow::RecordBatchReader> inner,
                                                               StreamSlots::Slot slot) {
  return std::make_shared<SlotHoldingReader>(std::move(inner), std::move(slot));
}

RequestDeadline::RequestDeadline(double seconds, std::string flag)
    : enabled_(seconds > 0), start_(std::chrono::steady_clock::now()), seconds_(seconds), flag_(std::move(flag)) {
  if (enabled_) {
    limit_ = std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
  }
}

bool RequestDeadline::Expired() const {
  return enabled_ && std::chrono::steady_clock::now() - start_ >= limit_;
}

void RequestDeadline::Restart() { start_ = std::chrono::steady_clock::now(); }

arrow::Status RequestDeadline::Exceeded(std::string_view what) const {
  return arrow::flight::MakeFlightError(
      arrow::flight::FlightStatusCode::TimedOut,
      std::string(what) + " exceeded the " + FormatSeconds(seconds_) + " s limit (" + flag_ + ")");
}

arrow::Status CheckFieldBytes(std::string_view what, int64_t bytes, int64_t limit, std::string_view flag) {
  if (limit <= 0 || bytes <= limit) return arrow::Status::OK();
  return InvalidArgument(std::string(what) + " is " + std::to_string(bytes) + " bytes, over the limit of " +
                         std::to_string(limit) + " bytes (" + std::string(flag) + ")");
}

arrow::Status CheckBatchBytes(const arrow::RecordBatch& batch, int64_t limit, std::string_view target) {
  if (limit <= 0) return arrow::Status::OK();
  const int64_t bytes = arrow::util::TotalBufferSize(batch);
  if (bytes <= limit) return arrow::Status::OK();
  return InvalidArgument("a FlightData message of the upload to '" + std::string(target) + "' carries " +
                         std::to_string(bytes) + " bytes of Arrow data, over the grpc_max_decode_message_size of " +
                         std::to_string(limit) + " bytes (--max-message-mb; `info` reports it)");
}

}  // namespace mosaico::server
