// The Flight service's metrics (every name and label: docs/OPERATIONS.md "Metrics"), kept in metrics::Default().
//
//   RpcMetricsMiddlewareFactory   per RPC: mosaicod_rpc_requests_total{method,code},
//                                 mosaicod_rpc_duration_seconds{method}, mosaicod_rpc_in_flight{method}.
//                                 Installed FIRST among the middlewares (InstallRpcMetrics), so calls another
//                                 middleware refuses (UNAUTHENTICATED, PERMISSION_DENIED) are counted too. A DoGet's
//                                 or DoPut's duration is the whole stream's: Flight completes the call after the
//                                 last message.
//   CountReceived / CountSent     rows and Arrow buffer bytes of the record batches a DoPut accepted / a DoGet
//                                 handed to Flight (mosaicod_{rows,bytes}_{received,sent}_total). Bytes are the
//                                 batches' Arrow buffers (arrow::util::TotalBufferSize), not gRPC wire bytes.
//   UploadOutcome                 a DoPut whose upload began ends as committed or aborted
//                                 (mosaicod_uploads_total{outcome}).
//   ObserveAction                 mosaicod_action_requests_total{action,code}; for the query actions (query,
//                                 topic_filter_clusterize, topic_filter_intersect: actions/query_actions.cc), also
//                                 mosaicod_query_duration_seconds{action}. Unknown action names count as "unknown".
//   OpenStreamsGauge              mosaicod_open_streams{rpc}: stream slots held (server/limits.h StreamSlots).
// `code` is the gRPC status code name the client receives (OK, INVALID_ARGUMENT, NOT_FOUND, ...), by the mapping
// Flight's gRPC transport applies to an arrow::Status.
// Cost: one small allocation per call (the middleware instance, as for auth) and a few relaxed atomic adds; children
// are resolved once per (method, code) and cached in fixed arrays, so the hot path takes no lock.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <arrow/flight/server.h>
#include <arrow/flight/server_middleware.h>
#include <arrow/record_batch.h>
#include <arrow/status.h>

#include "mosaico/metrics/registry.h"
#include "mosaico/server/actions/action_registry.h"

namespace mosaico::server {

inline constexpr char kRpcMetricsMiddlewareName[] = "mosaico-rpc-metrics";

// The gRPC code name of a status as a Flight client receives it ("OK" for OK).
std::string_view GrpcCodeName(const arrow::Status& st);

// Registers every family of this file, and of the components below the server whose families are created lazily
// (store, jobs), so that /metrics lists them all from the start (HELP/TYPE lines even before any sample).
void RegisterServiceMetrics();

// Prepends the per-RPC metrics middleware to `options`' middlewares.
void InstallRpcMetrics(arrow::flight::FlightServerOptions* options);

void CountReceived(const arrow::RecordBatch& batch);
void CountSent(const arrow::RecordBatch& batch);

// Counts one upload that began: `aborted` when destroyed before Committed().
class UploadOutcome {
 public:
  UploadOutcome() = default;
  UploadOutcome(const UploadOutcome&) = delete;
  UploadOutcome& operator=(const UploadOutcome&) = delete;
  ~UploadOutcome();
  void Committed();

 private:
  bool done_ = false;
};

// Records one DoAction: `spec` null for an unknown action; `wire` the status sent; `started` when it began.
void ObserveAction(const ActionSpec* spec, const arrow::Status& wire, std::chrono::steady_clock::time_point started);

// The gauge of stream slots held by `rpc` ("DoPut", "DoGet", "DoAction").
metrics::Gauge& OpenStreamsGauge(std::string_view rpc);

}  // namespace mosaico::server
