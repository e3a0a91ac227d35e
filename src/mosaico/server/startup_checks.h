// Start-up checks that turn the usual first-run mistakes into one clear line instead of a failure later.
//
//  - CheckListenAddressFree(host, port): binds a throw-away TCP socket to host:port (SO_REUSEADDR, as gRPC does)
//    and closes it. EADDRINUSE -> UNAVAILABLE "address H:P is already in use (another mosaicod?): stop it or choose
//    another --port"; EADDRNOTAVAIL / EACCES / an unresolvable host -> INVALID_ARGUMENT naming the address and the
//    reason. Port 0 (pick a free one) is not checked. A race with another process binding in between is possible;
//    the Flight start then still fails, and DescribeListenFailure names the address.
//  - CheckWritableDirectory(dir, what): creates `dir` if needed, then creates, writes, fsyncs and removes a probe
//    file in it. Failure -> FAILED_PRECONDITION "<what> 'dir' is not writable: <strerror>" (e.g. a read-only data
//    dir used to start, then fail every write with SQL text).
//  - SilenceGrpcLogging(): gRPC (inside libarrow_flight; its logger is not reachable from here) prints its own lines
//    on stderr; unless the operator set GRPC_VERBOSITY, they are switched off (our logs say what failed). Must run
//    before the first Flight object is created.
//  - CheckServeStartup(config): all of the above for `mosaicod run/server`, before any start-up work: gRPC quiet,
//    the listen address free, and for embedded storage the store directory and the SQLite catalog's directory (and
//    file, when it exists) writable.
#pragma once

#include <string>

#include <arrow/status.h>

#include "mosaico/server/server_config.h"

namespace mosaico::server {

arrow::Status CheckServeStartup(const ServerConfig& config);

arrow::Status CheckListenAddressFree(const std::string& host, int port);
arrow::Status CheckWritableDirectory(const std::string& dir, const std::string& what);
// The message for a Flight server that did not start on host:port (gRPC only says "Server did not start properly").
arrow::Status DescribeListenFailure(const arrow::Status& st, const std::string& host, int port);
void SilenceGrpcLogging();

}  // namespace mosaico::server
