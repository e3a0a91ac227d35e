// mosaicod_bench_ceiling: the ceiling servers of bench/flight_throughput.py (see ceiling_server.h). Not installed.
//
//   mosaicod_bench_ceiling --port P --data-dir DIR [--chunk-size-mb 64] [--host 127.0.0.1]
//
// Prints "listening on <port>" once it serves; stops on SIGTERM/SIGINT.
#include <csignal>
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <arrow/flight/server.h>

#include "ceiling_server.h"
#include "mosaico/server/process_memory.h"

int main(int argc, char** argv) {
  mosaico::bench::CeilingOptions options;
  std::string host = "127.0.0.1";
  int port = 0;
  int64_t chunk_size_mb = 64;
  CLI::App app{"Flight ceiling servers for bench/flight_throughput.py: null (transport only), parquet (transport + "
               "mosaicod's chunk writer settings and fsync), and the Parquet read ceiling"};
  app.add_option("--host", host, "address to listen on");
  app.add_option("--port", port, "port (0: any free port)");
  app.add_option("--data-dir", options.data_dir, "directory of the parquet uploads")->required();
  app.add_option("--chunk-size-mb", chunk_size_mb, "chunk size, as mosaicod's --chunk-size-mb");
  app.add_option("--row-group-rows", options.row_group_rows, "Parquet row group rows");
  app.add_option("--zstd-level", options.zstd_level, "zstd level");
  app.add_option("--max-batch-bytes", options.max_batch_bytes, "DoGet decode batch target, as mosaicod's");
  CLI11_PARSE(app, argc, argv);
  options.target_chunk_bytes = chunk_size_mb << 20;

  auto location = arrow::flight::Location::ForGrpcTcp(host, port);
  auto server = mosaico::bench::CeilingServer::Make(options);
  if (!location.ok() || !server.ok()) {
    std::cerr << (location.ok() ? server.status() : location.status()).ToString() << "\n";
    return 1;
  }
  arrow::flight::FlightServerOptions flight_options(*location);
  arrow::Status st = (*server)->Init(flight_options);
  if (st.ok()) st = (*server)->SetShutdownOnSignals({SIGTERM, SIGINT});
  if (!st.ok()) {
    std::cerr << st.ToString() << "\n";
    return 1;
  }
  // Same allocator settings as the daemon (jemalloc Arrow pool, fixed mmap threshold): linking process_memory.cc
  // applies them before main.
  std::printf("listening on %d (%s)\n", (*server)->port(), mosaico::server::ProcessMemoryDefaults().c_str());
  std::fflush(stdout);
  st = (*server)->Serve();
  if (!st.ok()) {
    std::cerr << st.ToString() << "\n";
    return 1;
  }
  return 0;
}
