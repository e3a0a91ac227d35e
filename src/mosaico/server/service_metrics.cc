#include "mosaico/server/service_metrics.h"

#include <array>
#include <atomic>

#include <arrow/flight/types.h>
#include <arrow/util/byte_size.h>

#include "mosaico/jobs/job_metrics.h"
#include "mosaico/metrics/process_metrics.h"
#include "mosaico/store/store_metrics.h"

#ifndef MOSAICOD_VERSION
#define MOSAICOD_VERSION "0.0.0"
#endif

namespace mosaico::server {
namespace fl = arrow::flight;
using metrics::Counter;
using metrics::Gauge;
using metrics::Histogram;

namespace {

constexpr int kMethods = static_cast<int>(fl::FlightMethod::PollFlightInfo) + 1;
constexpr int kCodes = static_cast<int>(fl::TransportStatusCode::kUnavailable) + 1;

const char* CodeName(fl::TransportStatusCode code) {
  switch (code) {
    case fl::TransportStatusCode::kOk:
      return "OK";
    case fl::TransportStatusCode::kUnknown:
      return "UNKNOWN";
    case fl::TransportStatusCode::kInternal:
      return "INTERNAL";
    case fl::TransportStatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case fl::TransportStatusCode::kTimedOut:
      return "DEADLINE_EXCEEDED";
    case fl::TransportStatusCode::kNotFound:
      return "NOT_FOUND";
    case fl::TransportStatusCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case fl::TransportStatusCode::kCancelled:
      return "CANCELLED";
    case fl::TransportStatusCode::kUnauthenticated:
      return "UNAUTHENTICATED";
    case fl::TransportStatusCode::kUnauthorized:
      return "PERMISSION_DENIED";
    case fl::TransportStatusCode::kUnimplemented:
      return "UNIMPLEMENTED";
    case fl::TransportStatusCode::kUnavailable:
      return "UNAVAILABLE";
  }
  return "UNKNOWN";
}

// The transport code a Flight client receives for `st`: the mapping of Arrow's gRPC transport
// (arrow::flight::internal::TransportStatus::FromStatus), restated with public types.
fl::TransportStatusCode TransportCode(const arrow::Status& st) {
  using C = fl::TransportStatusCode;
  if (st.ok()) return C::kOk;
  if (auto transport = fl::TransportStatusDetail::Unwrap(st)) return transport->get().code();
  if (auto flight = fl::FlightStatusDetail::UnwrapStatus(st)) {
    switch (flight->code()) {
      case fl::FlightStatusCode::Internal:
        return C::kInternal;
      case fl::FlightStatusCode::TimedOut:
        return C::kTimedOut;
      case fl::FlightStatusCode::Cancelled:
        return C::kCancelled;
      case fl::FlightStatusCode::Unauthenticated:
        return C::kUnauthenticated;
      case fl::FlightStatusCode::Unauthorized:
        return C::kUnauthorized;
      case fl::FlightStatusCode::Unavailable:
        return C::kUnavailable;
      default:
        return C::kUnknown;
    }
  }
  if (st.IsKeyError()) return C::kNotFound;
  if (st.IsInvalid()) return C::kInvalidArgument;
  if (st.IsCancelled()) return C::kCancelled;
  if (st.IsNotImplemented()) return C::kUnimplemented;
  if (st.IsAlreadyExists()) return C::kAlreadyExists;
  return C::kUnknown;
}

int CodeIndex(const arrow::Status& st) {
  const int code = static_cast<int>(TransportCode(st));
  return code >= 0 && code < kCodes ? code : static_cast<int>(fl::TransportStatusCode::kUnknown);
}

struct Families {
  metrics::Family<Counter>& rpc_requests;
  metrics::Family<Histogram>& rpc_duration;
  metrics::Family<Gauge>& rpc_in_flight;
  Counter& rows_received;
  Counter& bytes_received;
  Counter& rows_sent;
  Counter& bytes_sent;
  metrics::Family<Counter>& uploads;
  metrics::Family<Counter>& actions;
  metrics::Family<Histogram>& query_duration;
  metrics::Family<Gauge>& open_streams;
};

const Families& F() {
  static const Families f{
      metrics::Default().AddCounter("mosaicod_rpc_requests_total",
                                    "Flight RPCs completed, by method and gRPC status code.", {"method", "code"}),
      metrics::Default().AddHistogram("mosaicod_rpc_duration_seconds",
                                      "Flight RPC duration in seconds (a DoPut or DoGet: the whole stream).",
                                      {"method"}),
      metrics::Default().AddGauge("mosaicod_rpc_in_flight", "Flight RPCs in progress, by method.", {"method"}),
      metrics::Default()
          .AddCounter("mosaicod_rows_received_total", "Rows of the record batches DoPut streams delivered.")
          .Get(),
      metrics::Default()
          .AddCounter("mosaicod_bytes_received_total",
                      "Arrow buffer bytes of the record batches DoPut streams delivered.")
          .Get(),
      metrics::Default().AddCounter("mosaicod_rows_sent_total", "Rows of the record batches DoGet streams sent.").Get(),
      metrics::Default()
          .AddCounter("mosaicod_bytes_sent_total", "Arrow buffer bytes of the record batches DoGet streams sent.")
          .Get(),
      metrics::Default().AddCounter("mosaicod_uploads_total",
                                    "DoPut uploads that began, by outcome (committed or aborted).", {"outcome"}),
      metrics::Default().AddCounter("mosaicod_action_requests_total",
                                    "DoAction calls, by action and gRPC status code.", {"action", "code"}),
      metrics::Default().AddHistogram(
          "mosaicod_query_duration_seconds",
          "Duration of the query actions (query, topic_filter_clusterize, topic_filter_intersect) in seconds.",
          {"action"}),
      metrics::Default().AddGauge("mosaicod_open_streams",
                                  "DoPut, DoGet and query streams holding one of --max-concurrent-streams slots.",
                                  {"rpc"}),
  };
  return f;
}

// Per-method children, resolved on first use and cached: the call path does no map lookup and takes no lock.
class RpcChildren {
 public:
  Counter& Requests(int method, int code) {
    auto& slot = requests_[method][code];
    Counter* c = slot.load(std::memory_order_acquire);
    if (c == nullptr) {
      c = &F().rpc_requests.WithLabels({MethodName(method), CodeName(static_cast<fl::TransportStatusCode>(code))});
      slot.store(c, std::memory_order_release);
    }
    return *c;
  }
  Histogram& Duration(int method) {
    return Resolve(&duration_[method], [&] { return &F().rpc_duration.WithLabels({MethodName(method)}); });
  }
  Gauge& InFlight(int method) {
    return Resolve(&in_flight_[method], [&] { return &F().rpc_in_flight.WithLabels({MethodName(method)}); });
  }

 private:
  static std::string MethodName(int method) { return fl::ToString(static_cast<fl::FlightMethod>(method)); }
  template <typename T, typename Make>
  static T& Resolve(std::atomic<T*>* slot, Make make) {
    T* p = slot->load(std::memory_order_acquire);
    if (p == nullptr) {
      p = make();  // the family returns the same child to racing threads
      slot->store(p, std::memory_order_release);
    }
    return *p;
  }

  std::array<std::array<std::atomic<Counter*>, kCodes>, kMethods> requests_{};
  std::array<std::atomic<Histogram*>, kMethods> duration_{};
  std::array<std::atomic<Gauge*>, kMethods> in_flight_{};
};

RpcChildren& Children() {
  static RpcChildren* children = new RpcChildren();
  return *children;
}

class RpcMetricsMiddleware final : public fl::ServerMiddleware {
 public:
  explicit RpcMetricsMiddleware(int method) : method_(method), started_(std::chrono::steady_clock::now()) {
    Children().InFlight(method_).Add(1);
  }
  std::string name() const override { return kRpcMetricsMiddlewareName; }
  void SendingHeaders(fl::AddCallHeaders*) override {}
  void CallCompleted(const arrow::Status& status) override {
    if (completed_) return;
    completed_ = true;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    Children().InFlight(method_).Add(-1);
    Children().Requests(method_, CodeIndex(status)).Inc();
    Children().Duration(method_).Observe(seconds);
  }
  ~RpcMetricsMiddleware() override {
    if (!completed_) Children().InFlight(method_).Add(-1);  // never completed: do not leave the gauge up
  }

 private:
  const int method_;
  const std::chrono::steady_clock::time_point started_;
  bool completed_ = false;
};

class RpcMetricsMiddlewareFactory final : public fl::ServerMiddlewareFactory {
 public:
  arrow::Status StartCall(const fl::CallInfo& info, const fl::ServerCallContext&,
                          std::shared_ptr<fl::ServerMiddleware>* middleware) override {
    int method = static_cast<int>(info.method);
    if (method < 0 || method >= kMethods) method = 0;
    *middleware = std::make_shared<RpcMetricsMiddleware>(method);
    return arrow::Status::OK();
  }
};

// The actions of actions/query_actions.cc: their latency is the query engine's.
bool IsQueryAction(const ActionSpec& spec) {
  return spec.name == "query" || spec.name == "topic_filter_clusterize" || spec.name == "topic_filter_intersect";
}

}  // namespace

std::string_view GrpcCodeName(const arrow::Status& st) {
  return CodeName(static_cast<fl::TransportStatusCode>(CodeIndex(st)));
}

void RegisterServiceMetrics() {
  (void)F();
  metrics::Default()
      .AddGauge("mosaicod_build_info", "Always 1; the version label is this daemon's version.", {"version"})
      .WithLabels({MOSAICOD_VERSION})
      .Set(1);
  metrics::RegisterProcessMetrics(metrics::Default());
  (void)store::StoreBytesWritten();
  jobs::RegisterJobMetrics();
  // The outcomes every dashboard expects, present (at 0) before the first upload.
  F().uploads.WithLabels({"committed"});
  F().uploads.WithLabels({"aborted"});
}

void InstallRpcMetrics(fl::FlightServerOptions* options) {
  options->middleware.insert(options->middleware.begin(),
                             {kRpcMetricsMiddlewareName, std::make_shared<RpcMetricsMiddlewareFactory>()});
}

void CountReceived(const arrow::RecordBatch& batch) {
  F().rows_received.Inc(static_cast<uint64_t>(batch.num_rows()));
  F().bytes_received.Inc(static_cast<uint64_t>(arrow::util::TotalBufferSize(batch)));
}

void CountSent(const arrow::RecordBatch& batch) {
  F().rows_sent.Inc(static_cast<uint64_t>(batch.num_rows()));
  F().bytes_sent.Inc(static_cast<uint64_t>(arrow::util::TotalBufferSize(batch)));
}

UploadOutcome::~UploadOutcome() {
  if (!done_) F().uploads.WithLabels({"aborted"}).Inc();
}

void UploadOutcome::Committed() {
  if (done_) return;
  done_ = true;
  F().uploads.WithLabels({"committed"}).Inc();
}

void ObserveAction(const ActionSpec* spec, const arrow::Status& wire, std::chrono::steady_clock::time_point started) {
  const std::string name = spec != nullptr ? spec->name : "unknown";
  F().actions.WithLabels({name, std::string(GrpcCodeName(wire))}).Inc();
  if (spec != nullptr && IsQueryAction(*spec)) {
    F().query_duration.WithLabels({name}).Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
}

Gauge& OpenStreamsGauge(std::string_view rpc) { return F().open_streams.WithLabels({rpc}); }

}  // namespace mosaico::server
